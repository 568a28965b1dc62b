"""Reading the municipality data files and bringing the database in line with them.

Everything is read and checked first; a malformed file stops the import with
its name and line number before anything is written. The write is one
transaction and touches only rows that differ, so a second run changes nothing.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from community import facts
from community.models import Group, Municipality, MunicipalityTypology, Region, Typology

DATA_DIR = Path(__file__).resolve().parent / "data"
PLAZA_SLUG = "het-plein"


class DataError(Exception):
    """A data file is malformed; the message names the file and line."""


@dataclass(frozen=True)
class Province:
    slug: str
    name: str
    cbs_code: str


@dataclass(frozen=True)
class MunicipalityRow:
    code: str
    name: str
    province: str
    population: int
    population_year: int


@dataclass(frozen=True)
class TypologyLink:
    slug: str
    name_nl: str
    name_en: str
    municipality_code: str
    source_note: str


@dataclass
class Dataset:
    provinces: list[Province]
    municipalities: list[MunicipalityRow]
    typology_links: list[TypologyLink]


@dataclass
class Report:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values()))


def _rows(path: Path, columns: list[str]):
    """Yield (line number, row dict) and check the header and the column count."""
    if not path.exists():
        raise DataError(f"{path}: file not found")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise DataError(f"{path}:1: the file is empty") from None
        except (csv.Error, UnicodeDecodeError) as error:
            raise DataError(f"{path}:1: {error}") from None
        if header != columns:
            raise DataError(f"{path}:1: expected the columns {','.join(columns)}, found {','.join(header)}")
        try:
            for row in reader:
                if not row:
                    continue
                if len(row) != len(columns):
                    raise DataError(f"{path}:{reader.line_num}: expected {len(columns)} fields, found {len(row)}")
                yield reader.line_num, dict(zip(columns, (value.strip() for value in row), strict=True))
        except (csv.Error, UnicodeDecodeError) as error:
            raise DataError(f"{path}:{reader.line_num}: {error}") from None


def _require(condition: bool, path: Path, line: int, message: str) -> None:
    if not condition:
        raise DataError(f"{path}:{line}: {message}")


def _integer(value: str, path: Path, line: int, column: str) -> int:
    _require(
        value.isdigit() and int(value) > 0, path, line, f"{column} must be a positive whole number, found {value!r}"
    )
    return int(value)


def read_dataset(directory: Path = DATA_DIR) -> Dataset:
    provinces_path = directory / "provinces.csv"
    provinces: list[Province] = []
    for line, row in _rows(
        provinces_path, ["slug", "name", "cbs_code", "municipality_count", "population", "population_year"]
    ):
        _require(bool(re.fullmatch(r"[a-z0-9-]+", row["slug"])), provinces_path, line, f"invalid slug {row['slug']!r}")
        _require(bool(row["name"]), provinces_path, line, "the name is empty")
        _require(
            bool(re.fullmatch(r"PV\d{2}", row["cbs_code"])),
            provinces_path,
            line,
            f"invalid CBS code {row['cbs_code']!r}",
        )
        _integer(row["municipality_count"], provinces_path, line, "municipality_count")
        provinces.append(Province(row["slug"], row["name"], row["cbs_code"]))
    province_names = {p.name for p in provinces}
    _require(len(province_names) == len(provinces), provinces_path, 1, "province names are not unique")

    municipalities_path = directory / "gemeenten.csv"
    municipalities: list[MunicipalityRow] = []
    seen_codes: set[str] = set()
    for line, row in _rows(municipalities_path, ["code", "name", "province", "population", "population_year"]):
        _require(
            bool(re.fullmatch(r"GM\d{4}", row["code"])), municipalities_path, line, f"invalid CBS code {row['code']!r}"
        )
        _require(row["code"] not in seen_codes, municipalities_path, line, f"duplicate code {row['code']}")
        _require(bool(row["name"]), municipalities_path, line, "the name is empty")
        _require(row["province"] in province_names, municipalities_path, line, f"unknown province {row['province']!r}")
        seen_codes.add(row["code"])
        municipalities.append(
            MunicipalityRow(
                row["code"],
                row["name"],
                row["province"],
                _integer(row["population"], municipalities_path, line, "population"),
                _integer(row["population_year"], municipalities_path, line, "population_year"),
            )
        )

    # regions.csv cross-checks the province of every municipality.
    regions_path = directory / "regions.csv"
    province_by_slug = {p.slug: p.name for p in provinces}
    province_of = {m.code: m.province for m in municipalities}
    for line, row in _rows(
        regions_path, ["region_type", "region_code", "region_slug", "region_name", "municipality_code"]
    ):
        if row["region_type"] != "provincie":
            continue
        code = row["municipality_code"]
        _require(code in province_of, regions_path, line, f"unknown municipality {code!r}")
        _require(
            province_by_slug.get(row["region_slug"]) == province_of[code],
            regions_path,
            line,
            f"{code} is in {province_of[code]} according to gemeenten.csv, not {row['region_name']}",
        )

    typologies_path = directory / "typologies.csv"
    links: list[TypologyLink] = []
    names: dict[str, tuple[str, str]] = {}
    for line, row in _rows(
        typologies_path, ["typology_slug", "typology_name_nl", "typology_name_en", "municipality_code", "source_note"]
    ):
        slug = row["typology_slug"]
        _require(bool(re.fullmatch(r"[a-z0-9-]+", slug)), typologies_path, line, f"invalid slug {slug!r}")
        _require(
            row["municipality_code"] in seen_codes,
            typologies_path,
            line,
            f"unknown municipality {row['municipality_code']!r}",
        )
        pair = (row["typology_name_nl"], row["typology_name_en"])
        _require(all(pair), typologies_path, line, "a typology name is empty")
        _require(
            names.setdefault(slug, pair) == pair, typologies_path, line, f"typology {slug} has two different names"
        )
        links.append(TypologyLink(slug, *pair, row["municipality_code"], row["source_note"]))
    return Dataset(provinces, municipalities, links)


def _sync(model, key, wanted: dict, report: Report, label: str, on_create=None) -> dict:
    """Bring ``model`` in line with ``wanted`` ({key: {field: value}}) in bulk.

    ``on_create`` ({key: {field: value}}) holds defaults used only for new rows,
    so that what staff changed later survives the next import.
    ``key`` is a field name, or a tuple of field names for a composite key.
    Rows that already match are not written; rows not in ``wanted`` are left alone
    (staff may have added regions or groups of their own). Returns {key: object}.
    """
    fields = (key,) if isinstance(key, str) else key

    def key_of(obj):
        values = tuple(getattr(obj, name) for name in fields)
        return values[0] if isinstance(key, str) else values

    existing = {key_of(obj): obj for obj in model.objects.all()}
    to_create, to_update, changed_fields = [], [], set()
    for wanted_key, values in wanted.items():
        obj = existing.get(wanted_key)
        if obj is None:
            keys = dict(zip(fields, (wanted_key,) if isinstance(key, str) else wanted_key, strict=True))
            to_create.append(model(**keys, **values, **(on_create or {}).get(wanted_key, {})))
            continue
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        if changed:
            for name in changed:
                setattr(obj, name, values[name])
            changed_fields.update(changed)
            to_update.append(obj)
        else:
            report.unchanged[label] += 1
    if to_create:
        model.objects.bulk_create(to_create)
        report.created[label] += len(to_create)
    if to_update:
        model.objects.bulk_update(to_update, sorted(changed_fields))
        report.updated[label] += len(to_update)
    return {key_of(obj): obj for obj in model.objects.all()}


@transaction.atomic
def import_dataset(dataset: Dataset) -> Report:
    report = Report()
    regions_by_slug = _sync(
        Region,
        "slug",
        {p.slug: {"name": p.name, "kind": Region.Kind.PROVINCE, "cbs_code": p.cbs_code} for p in dataset.provinces},
        report,
        "provinces",
    )
    region_id = {p.name: regions_by_slug[p.slug].pk for p in dataset.provinces}
    typologies = _sync(
        Typology,
        "slug",
        {link.slug: {"name_nl": link.name_nl, "name_en": link.name_en} for link in dataset.typology_links},
        report,
        "typologies",
    )
    municipalities = _sync(
        Municipality,
        "code",
        {
            row.code: {
                "name": row.name,
                "region_id": region_id[row.province],
                "population": row.population,
                "population_year": row.population_year,
            }
            for row in dataset.municipalities
        },
        report,
        "municipalities",
    )
    _sync(
        MunicipalityTypology,
        ("municipality_id", "typology_id"),
        {
            (municipalities[link.municipality_code].pk, typologies[link.slug].pk): {"source_note": link.source_note}
            for link in dataset.typology_links
        },
        report,
        "typology memberships",
    )

    # Group texts are content, stored in Dutch, the site's default language.
    with translation.override("nl"):
        groups = {
            PLAZA_SLUG: {
                "name": "Het Plein",
                "kind": Group.Kind.PLAZA,
                "region_id": None,
                "typology_id": None,
                "description": _("The square where all members of the programme meet."),
            }
        }
        for province in dataset.provinces:
            groups[province.slug] = {
                "name": _("Region %(province)s") % {"province": province.name},
                "kind": Group.Kind.REGION,
                "region_id": region_id[province.name],
                "typology_id": None,
                "description": _(
                    "Administrators and policy officers of the municipalities of %(province)s, with the ambassadors of the province."
                )
                % {"province": province.name},
            }
        for slug in dict.fromkeys(link.slug for link in dataset.typology_links):
            typology = typologies[slug]
            groups[slug] = {
                "name": typology.name_nl,
                "kind": Group.Kind.TYPOLOGY,
                "region_id": None,
                "typology_id": typology.pk,
                "description": _("Municipalities of the typology %(typology)s share their questions and experiences.")
                % {"typology": typology.name_nl},
            }
    # Regional groups are for the members of the province; the rest is readable by all members.
    access = {
        slug: {
            "read_access": Group.ReadAccess.MEMBERS
            if values["kind"] == Group.Kind.REGION
            else Group.ReadAccess.EVERYONE
        }
        for slug, values in groups.items()
    }
    _sync(Group, "slug", groups, report, "groups", on_create=access)
    if report.changed:
        # Written in bulk, which sends no signals: every process's cached facts about the
        # groups (members' roles) are renewed through the members' cache_version.
        facts.groups_changed()
    return report
