"""The lock file (requirements.lock) pins every dependency that pyproject.toml names.

``make install`` installs the lock file with ``--require-hashes`` and the project with
``--no-deps``: a dependency added to pyproject.toml without ``make lock`` would simply not
be installed, on a clean checkout and in CI. This says so before that happens.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["test"]
    return {normalised(re.match(r"[A-Za-z0-9_.-]+", requirement).group(0)) for requirement in requirements}


def locked() -> dict[str, list[str]]:
    """Each pinned name with its hashes."""
    pins: dict[str, list[str]] = {}
    current = None
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if match := re.match(r"([A-Za-z0-9_.-]+)==(\S+)", line):
            current = normalised(match.group(1))
            pins[current] = []
        elif current and (match := re.match(r"\s+--hash=sha256:([0-9a-f]{64})", line)):
            pins[current].append(match.group(1))
        elif not line.startswith(" "):
            current = None
    return pins


def test_every_declared_dependency_is_pinned_in_the_lock_file():
    missing = declared() - set(locked())
    assert not missing, f"pyproject.toml names {sorted(missing)}, the lock file does not: run `make lock`"


def test_every_pin_in_the_lock_file_carries_hashes():
    pins = locked()
    assert len(pins) > len(declared())  # the dependencies' dependencies are pinned too
    assert all(pins.values()), [name for name, hashes in pins.items() if not hashes]


def test_the_lock_file_names_no_index_or_local_folder():
    text = (ROOT / "requirements.lock").read_text()
    assert not re.search(r"^\s*--(index-url|extra-index-url|find-links|trusted-host)", text, re.MULTILINE)
    assert "file://" not in text
