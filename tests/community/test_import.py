"""manage.py import_municipalities: the real data, idempotent, atomic, and loud about bad files."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from community.importer import DATA_DIR
from community.models import Group, Municipality, MunicipalityTypology, Region, Typology

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_data_yet(db):
    """These tests import into an empty database: the data imported once for the run is
    taken away inside the test's transaction (and comes back with its rollback)."""
    Group.objects.all().delete()
    MunicipalityTypology.objects.all().delete()
    Municipality.objects.all().delete()
    Typology.objects.all().delete()
    Region.objects.all().delete()


def run_import(*args: str) -> str:
    out = io.StringIO()
    call_command("import_municipalities", *args, stdout=out)
    return out.getvalue()


def test_import_loads_all_municipalities_provinces_and_typologies():
    output = run_import()
    assert Municipality.objects.count() == 342
    assert Region.objects.filter(kind="province").count() == 12
    assert Typology.objects.count() == 8
    assert MunicipalityTypology.objects.count() == 195
    assert "municipalities: 342 created" in output
    den_haag = Municipality.objects.get(code="GM0518")
    assert den_haag.name == "'s-Gravenhage"
    assert den_haag.region.name == "Zuid-Holland"
    assert den_haag.population == 566221
    assert Municipality.objects.get(code="GM1992").name == "Voorne aan Zee"
    assert Region.objects.get(slug="fryslan").name == "Fryslân"
    assert sum(Municipality.objects.values_list("population", flat=True)) == 17_942_942


def test_import_creates_het_plein_a_group_per_province_and_per_typology():
    run_import()
    assert Group.objects.filter(kind="plaza").count() == 1
    assert set(Group.objects.filter(kind="region").values_list("region__slug", flat=True)) == set(
        Region.objects.values_list("slug", flat=True)
    )
    assert Group.objects.filter(kind="typology").count() == 8
    assert Group.objects.get(slug="zuid-holland").name == "Regio Zuid-Holland"


def test_a_second_import_changes_nothing_and_says_so():
    run_import()
    before = list(Municipality.objects.order_by("pk").values())
    output = run_import()
    assert "nothing changed" in output
    assert "0 created, 0 updated" in output
    assert list(Municipality.objects.order_by("pk").values()) == before


def test_the_import_keeps_e_mail_domains_set_by_staff():
    run_import()
    Municipality.objects.filter(code="GM0518").update(email_domains=["denhaag.nl"])
    run_import()
    assert Municipality.objects.get(code="GM0518").email_domains == ["denhaag.nl"]


def test_a_changed_population_is_updated(tmp_path: Path):
    run_import()
    data = copy_data(tmp_path)
    path = data / "gemeenten.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "GM0518,'s-Gravenhage,Zuid-Holland,566221", "GM0518,'s-Gravenhage,Zuid-Holland,570000"
        ),
        encoding="utf-8",
    )
    output = run_import("--data-dir", str(data))
    assert "municipalities: 0 created, 1 updated, 341 unchanged" in output
    assert Municipality.objects.get(code="GM0518").population == 570000


def copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def break_line(path: Path, line_number: int, replacement: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[line_number - 1] = replacement + "\n"
    path.write_text("".join(lines), encoding="utf-8")


@pytest.mark.parametrize(
    ("filename", "line", "content", "message"),
    [
        ("gemeenten.csv", 7, "GM9999,Nergenshuizen,Atlantis,1000,2024", "unknown province 'Atlantis'"),
        ("gemeenten.csv", 12, "GM0193,Zwolle,Overijssel,veel,2024", "population must be a positive whole number"),
        ("gemeenten.csv", 20, "XX0001,Fout,Utrecht,1000,2024", "invalid CBS code 'XX0001'"),
        ("gemeenten.csv", 30, "GM0200,Apeldoorn,Gelderland", "expected 5 fields, found 3"),
        ("typologies.csv", 5, "g40,G40,G40,GM0000,note", "unknown municipality 'GM0000'"),
        ("provinces.csv", 3, "drenthe,Drenthe,XX22,12,494771,2024", "invalid CBS code 'XX22'"),
    ],
)
def test_a_malformed_file_names_the_file_and_line_and_imports_nothing(tmp_path, filename, line, content, message):
    data = copy_data(tmp_path)
    break_line(data / filename, line, content)
    with pytest.raises(CommandError) as error:
        run_import("--data-dir", str(data))
    assert f"{data / filename}:{line}: {message}" in str(error.value)
    assert "Nothing imported" in str(error.value)
    assert Municipality.objects.count() == 0
    assert Region.objects.count() == 0
    assert Group.objects.count() == 0


def test_a_wrong_header_is_reported_on_line_one(tmp_path):
    data = copy_data(tmp_path)
    break_line(data / "gemeenten.csv", 1, "code;name;province")
    with pytest.raises(CommandError, match=r"gemeenten.csv:1: expected the columns"):
        run_import("--data-dir", str(data))


def test_a_missing_file_is_named(tmp_path):
    data = copy_data(tmp_path)
    (data / "typologies.csv").unlink()
    with pytest.raises(CommandError, match=r"typologies.csv: file not found"):
        run_import("--data-dir", str(data))


def test_a_failure_while_writing_rolls_everything_back(monkeypatch):
    from community import importer

    original = importer._sync

    def fail_on_groups(model, *args, **kwargs):
        if model is Group:
            raise RuntimeError("disk full")
        return original(model, *args, **kwargs)

    monkeypatch.setattr(importer, "_sync", fail_on_groups)
    with pytest.raises(RuntimeError):
        run_import()
    assert Municipality.objects.count() == 0
    assert Region.objects.count() == 0
