"""Which Chromium the browser tests drive (``tests.needs.chromium``)."""

from __future__ import annotations

import pytest

from tests import needs


@pytest.fixture
def installed(monkeypatch):
    """``installed({...})``: only these paths exist, nothing is on PATH."""

    def _installed(paths: set[str]) -> None:
        monkeypatch.setattr(needs.os.path, "exists", lambda path: path in paths)
        monkeypatch.setattr(needs.shutil, "which", lambda name: None)

    monkeypatch.delenv("CHROMIUM_PATH", raising=False)
    return _installed


def test_the_headless_build_is_preferred_to_the_full_browser(installed):
    installed({"/usr/bin/chromium", "/usr/bin/chromium-headless-shell"})
    assert needs.chromium() == "/usr/bin/chromium-headless-shell"


def test_the_full_browser_serves_where_it_is_the_only_one(installed):
    installed({"/usr/bin/chromium"})
    assert needs.chromium() == "/usr/bin/chromium"


def test_chromium_path_names_the_browser_and_nothing_else_is_tried(installed, monkeypatch):
    installed({"/usr/bin/chromium-headless-shell", "/opt/chromium/chrome"})
    monkeypatch.setenv("CHROMIUM_PATH", "/opt/chromium/chrome")
    assert needs.chromium() == "/opt/chromium/chrome"
    monkeypatch.setenv("CHROMIUM_PATH", "/nowhere/chrome")
    assert needs.chromium() is None


def test_without_a_browser_the_test_skips_with_the_package_to_install(installed, monkeypatch):
    installed(set())
    monkeypatch.delenv("SAMENLEVEN_REQUIRE", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium-headless-shell"):
        needs.need_browser()
