"""The interface is Dutch by default: the message catalogues are complete, consistent and compiled.

These tests need no gettext tools: they read the .po and .mo files with polib and find the
interface strings in the source with regular expressions, so they also run on a fresh machine.
After changing interface text, run ``make messages`` (needs gettext), translate the new Dutch
entries and commit both the .po and the .mo files.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.utils import translation

BASE_DIR = Path(__file__).resolve().parent.parent
LOCALE_DIR = BASE_DIR / "locale"
LANGUAGES = ["nl", "en"]
SOURCE_PACKAGES = ["community", "threads", "notifications"]
TEMPLATE_DIR = BASE_DIR / "templates"
# makemessages reads these template extensions by default (besides .py).
TEMPLATE_EXTENSIONS = {".html", ".txt"}


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def mo_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.mo"


@pytest.fixture(scope="module")
def dutch() -> polib.POFile:
    return polib.pofile(str(po_path("nl")))


def live_entries(catalogue: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in catalogue if not entry.obsolete and entry.msgid]


def describe(entry: polib.POEntry) -> str:
    context = f"[{entry.msgctxt}] " if entry.msgctxt else ""
    where = ", ".join(f"{path}:{line}" for path, line in entry.occurrences[:2])
    return f"{context}{entry.msgid!r}" + (f" ({where})" if where else "")


# (a) Complete and checked ------------------------------------------------------------------


def test_the_dutch_header_is_checked_and_has_the_dutch_plural_forms(dutch):
    assert not dutch.metadata_is_fuzzy, "The header of locale/nl/LC_MESSAGES/django.po is still marked fuzzy."
    assert dutch.metadata.get("Language") == "nl"
    assert dutch.metadata.get("Plural-Forms") == "nplurals=2; plural=(n != 1);"
    assert "charset=UTF-8" in dutch.metadata.get("Content-Type", "")


def test_every_dutch_entry_is_translated(dutch):
    untranslated = []
    for entry in live_entries(dutch):
        if entry.msgid_plural:
            forms = entry.msgstr_plural
            if sorted(forms) != [0, 1] or not all(forms.values()):
                untranslated.append(describe(entry))
        elif not entry.msgstr:
            untranslated.append(describe(entry))
    assert not untranslated, f"{len(untranslated)} Dutch entries have no translation:\n" + "\n".join(untranslated)


def test_no_dutch_entry_is_fuzzy(dutch):
    fuzzy = [describe(entry) for entry in live_entries(dutch) if "fuzzy" in entry.flags]
    assert not fuzzy, f"{len(fuzzy)} Dutch entries are marked fuzzy (check them, then remove the flag):\n" + "\n".join(
        fuzzy
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_header_is_not_fuzzy(language):
    catalogue = polib.pofile(str(po_path(language)))
    # msgfmt skips a fuzzy header, and with it the charset and the plural forms.
    assert not catalogue.metadata_is_fuzzy, f"The header of {po_path(language).relative_to(BASE_DIR)} is marked fuzzy."
    assert catalogue.metadata.get("Language") == language
    assert catalogue.metadata.get("Plural-Forms") == "nplurals=2; plural=(n != 1);"


# (b) Placeholders --------------------------------------------------------------------------

PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<type>[diouxXeEfFgGcrsa%])"
)


def placeholders(text: str, named_only: bool = False) -> Counter:
    found = Counter()
    for match in PLACEHOLDER.finditer(text):
        if match["type"] == "%":
            continue
        if named_only and match["name"] is None:
            continue
        found[match.group(0)] += 1
    return found


class _AnyValue(dict):
    def __missing__(self, key):
        return 1


def pairs(entry: polib.POEntry) -> list[tuple[str, str]]:
    """(source, translation) pairs; for Dutch, form 0 is the singular and form 1 the plural."""
    if entry.msgid_plural:
        return [(entry.msgid, entry.msgstr_plural.get(0, "")), (entry.msgid_plural, entry.msgstr_plural.get(1, ""))]
    return [(entry.msgid, entry.msgstr)]


def test_translations_keep_every_placeholder(dutch):
    problems = []
    for entry in live_entries(dutch):
        python_format = "python-format" in entry.flags
        for source, translated in pairs(entry):
            if not translated:
                continue  # reported by test_every_dutch_entry_is_translated
            wanted = placeholders(source, named_only=not python_format)
            got = placeholders(translated, named_only=not python_format)
            if wanted != got:
                missing, extra = sorted((wanted - got).elements()), sorted((got - wanted).elements())
                problems.append(f"{describe(entry)} -> {translated!r}: missing {missing}, unexpected {extra}")
            elif python_format and "%(" in source:
                try:
                    translated % _AnyValue()
                except (ValueError, TypeError, KeyError) as error:
                    problems.append(f"{describe(entry)} -> {translated!r}: not a valid format string ({error})")
    assert not problems, "Placeholders differ between msgid and msgstr:\n" + "\n".join(problems)


# (c) The committed .mo files match the .po files -------------------------------------------


def translated_set(catalogue) -> set:
    result = set()
    for entry in catalogue:
        if entry.obsolete or not entry.msgid or "fuzzy" in entry.flags:
            continue
        if entry.msgid_plural:
            forms = tuple(sorted(entry.msgstr_plural.items()))
            if not any(text for _, text in forms):
                continue
            result.add((entry.msgctxt, entry.msgid, entry.msgid_plural, forms))
        elif entry.msgstr:
            result.add((entry.msgctxt, entry.msgid, None, entry.msgstr))
    return result


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_the_po_file(language):
    po, mo = po_path(language), mo_path(language)
    assert mo.exists(), f"{mo.relative_to(BASE_DIR)} is missing: run make messages and commit the .mo file."
    source, compiled = polib.pofile(str(po)), polib.mofile(str(mo))
    in_po, in_mo = translated_set(source), translated_set(compiled)
    stale = sorted(repr(item[1]) for item in in_po - in_mo) + sorted(repr(item[1]) for item in in_mo - in_po)
    assert not stale, (
        f"{mo.relative_to(BASE_DIR)} is stale ({len(stale)} entries differ from the .po file): run make messages "
        "(or manage.py compilemessages) and commit the .mo file.\n" + "\n".join(stale[:30])
    )
    assert compiled.metadata.get("Plural-Forms") == source.metadata.get("Plural-Forms"), (
        f"The header of {mo.relative_to(BASE_DIR)} differs from the .po file: run make messages."
    )


# (d) Pages really come out in Dutch --------------------------------------------------------


def test_the_dutch_catalogue_is_loaded():
    with translation.override("nl"):
        assert translation.gettext("Log in") == "Inloggen"
        assert translation.gettext("Region %(province)s") % {"province": "Zuid-Holland"} == "Regio Zuid-Holland"
        assert translation.ngettext("%(counter)s member", "%(counter)s members", 3) % {"counter": 3} == "3 leden"
    with translation.override("en"):
        assert translation.gettext("Log in") == "Log in"


@pytest.mark.django_db
def test_the_login_page_is_dutch_and_switches_to_english(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert response["Content-Language"] == "nl"
    body = response.content.decode()
    assert "Inloggen" in body
    assert "Log in<" not in body

    client.post("/language/", {"language": "en", "next": "/"})
    response = client.get("/accounts/login/")
    assert response["Content-Language"] == "en"
    body = response.content.decode()
    assert "Log in" in body
    assert "Inloggen" not in body


# (e) The catalogue covers the interface ----------------------------------------------------

# A string literal without backslashes (strings with escaped quotes are skipped), on one line.
_DQ, _SQ = r'"(?P<dq>[^"\\\n]*)"', r"'(?P<sq>[^'\\\n]*)'"
_LITERAL = rf"(?:{_DQ}|{_SQ})"

PYTHON_CALL = re.compile(rf"(?<![\w.])(?:_|gettext|gettext_lazy|gettext_noop)\(\s*{_LITERAL}\s*[,)]")
TEMPLATE_TRANSLATE = re.compile(r"{%\s*trans(?:late)?\s+" + _LITERAL + r"(?P<options>[^%]*?)%}")
_CONTEXT_OPTION = re.compile(r"""\bcontext\s+(?:"([^"]*)"|'([^']*)')""")
TEMPLATE_BLOCK = re.compile(
    r"{%\s*blocktrans(?:late)?\b(?P<options>.*?)%}(?P<body>.*?){%\s*endblocktrans(?:late)?\s*%}", re.DOTALL
)
_BLOCK_VARIABLE = re.compile(r"{{\s*(\w+)\s*}}")
_PLURAL_TAG = re.compile(r"{%\s*plural\s*%}")


def _literal(match: re.Match) -> str:
    return match["dq"] if match["dq"] is not None else match["sq"]


def _context(options: str) -> str | None:
    match = _CONTEXT_OPTION.search(options)
    return (match[1] if match[1] is not None else match[2]) if match else None


def _block_text(text: str, trimmed: bool) -> str | None:
    if "{%" in text or re.search(r"{{[^}]*[|.][^}]*}}", text):
        return None  # filters, attribute lookups or tags inside a block: not a plain message
    if trimmed:
        text = re.sub(r"\s*\n\s*", " ", text.strip())
    return _BLOCK_VARIABLE.sub(r"%(\1)s", text.replace("%", "%%"))


_TEMPLATE_COMMENT = re.compile(r"{#.*?#}|{%\s*comment\b.*?%}.*?{%\s*endcomment\s*%}", re.DOTALL)


def template_messages(text: str) -> set[tuple[str | None, str, str | None]]:
    found = set()
    text = _TEMPLATE_COMMENT.sub("", text)  # makemessages skips comments too
    for match in TEMPLATE_TRANSLATE.finditer(text):
        # The translate tag escapes % itself (Variable.resolve), so the msgid has %%.
        found.add((_context(match["options"]), _literal(match).replace("%", "%%"), None))
    for match in TEMPLATE_BLOCK.finditer(text):
        options = match["options"]
        trimmed = re.search(r"\btrimmed\b", options) is not None
        parts = _PLURAL_TAG.split(match["body"], maxsplit=1)
        msgid = _block_text(parts[0], trimmed)
        msgid_plural = _block_text(parts[1], trimmed) if len(parts) == 2 else None
        if msgid is None or (len(parts) == 2 and msgid_plural is None):
            continue
        found.add((_context(options), msgid, msgid_plural))
    return found


def python_messages(text: str) -> set[tuple[str | None, str, str | None]]:
    return {(None, _literal(match), None) for match in PYTHON_CALL.finditer(text)}


def interface_messages() -> dict[tuple[str | None, str, str | None], set[str]]:
    """Every message the scan finds, with the files it occurs in."""
    found: dict[tuple, set[str]] = {}

    def add(messages, path: Path):
        for message in messages:
            if message[1]:
                found.setdefault(message, set()).add(str(path.relative_to(BASE_DIR)))

    for path in sorted(TEMPLATE_DIR.rglob("*")):
        if path.suffix in TEMPLATE_EXTENSIONS and path.is_file():
            add(template_messages(path.read_text(encoding="utf-8")), path)
    for package in SOURCE_PACKAGES:
        for path in sorted((BASE_DIR / package).rglob("*.py")):
            add(python_messages(path.read_text(encoding="utf-8")), path)
    return found


def test_the_scan_finds_the_interface_strings():
    """Guard the scanner itself, so that a broken regex does not make the coverage test pass vacuously."""
    messages = {msgid for _, msgid, _ in interface_messages()}
    for expected in (
        "Log in",
        "Skip to content",
        "Region %(province)s",
        "Dutch",
        "%(name)s wrote:",
        "Page %(number)s of %(total)s",
    ):
        assert expected in messages
    assert template_messages('{% translate "A" context "menu" %}{% trans \'B\' as b %}') == {
        ("menu", "A", None),
        (None, "B", None),
    }
    assert template_messages(
        "{% blocktranslate count counter=n|length %}{{ counter }} member{% plural %}{{ counter }} members{% endblocktranslate %}"
    ) == {(None, "%(counter)s member", "%(counter)s members")}
    assert template_messages("{% blocktranslate trimmed %}\n  Some\n  text {{ x }}\n{% endblocktranslate %}") == {
        (None, "Some text %(x)s", None)
    }
    assert python_messages(
        """x = _("One") + gettext_lazy('Two') + ngettext("a", "b", 1) + _("It\\"s") + foo_("no")"""
    ) == {
        (None, "One", None),
        (None, "Two", None),
    }


def test_every_interface_string_is_in_the_dutch_catalogue(dutch):
    known_singular = {(entry.msgctxt, entry.msgid) for entry in live_entries(dutch)}
    known_plural = {
        (entry.msgctxt, entry.msgid, entry.msgid_plural) for entry in live_entries(dutch) if entry.msgid_plural
    }
    missing = []
    for (context, msgid, msgid_plural), paths in sorted(interface_messages().items(), key=lambda item: item[0][1]):
        known = (context, msgid, msgid_plural) in known_plural if msgid_plural else (context, msgid) in known_singular
        if not known:
            label = f"[{context}] " if context else ""
            plural = f" / {msgid_plural!r}" if msgid_plural else ""
            missing.append(f"{label}{msgid!r}{plural} ({', '.join(sorted(paths))})")
    assert not missing, (
        f"{len(missing)} interface strings are not in locale/nl/LC_MESSAGES/django.po; run make messages and "
        "translate them:\n" + "\n".join(missing)
    )


@pytest.mark.parametrize(
    ("language", "expected_datetime", "expected_date"),
    [("nl", "29 nov 2026, 06:04", "29 november 2026"), ("en", "29 Nov 2026, 06:04", "29 November 2026")],
)
def test_dates_are_written_as_the_language_writes_them(language, expected_datetime, expected_date):
    """The templates use DATETIME_FORMAT and DATE_FORMAT, from ``community/formats``:
    Django's own "M" capitalises Dutch months, and its English puts the month first."""
    from datetime import datetime

    from django.template import Context, Template

    when = datetime(2026, 11, 29, 6, 4)
    template = Template('{{ when|date:"DATETIME_FORMAT" }}|{{ when|date:"DATE_FORMAT" }}')
    with translation.override(language):
        assert template.render(Context({"when": when})) == f"{expected_datetime}|{expected_date}"


def test_no_template_spells_out_a_month_format_of_its_own():
    """Dates with a time or a short month go through the formats above, so each language
    gets its own way of writing them."""
    offenders = [
        str(path.relative_to(BASE_DIR))
        for path in TEMPLATE_DIR.rglob("*.html")
        if re.search(r'\|date:"[^"]*\bM\b', path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
