"""Fixtures shared with the threads tests (``published`` is in tests/conftest.py)."""

from __future__ import annotations

from tests.threads.conftest import answer, colleague, outsider, plein, question, themes
