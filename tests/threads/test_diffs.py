"""Word diffs (threads.diffs): what changed between two texts, as safe HTML."""

from __future__ import annotations

import re

from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st

from threads.diffs import tokens, word_diff


def test_changed_words_are_marked_whole_and_the_rest_reads_as_the_new_text():
    html, stats = word_diff("Wij vertalen alles naar het Engels.", "Wij vertalen wat nodig is naar het Engels.")
    assert html == "Wij vertalen <del>alles</del><ins>wat nodig is</ins> naar het Engels."
    assert (stats.added, stats.removed, stats.changed) == (3, 1, True)


def test_everything_is_escaped_and_only_ins_and_del_are_markup():
    new = '<script>alert("x")</script> nieuw'
    html, _stats = word_diff("<b>oud</b>", new)
    assert "<script" not in html and "<b>" not in html and "<ins>" in html and "<del>" in html
    assert re.sub(r"<del>.*?</del>|</?ins>", "", html) == escape(new)


def test_no_change_is_no_mark():
    html, stats = word_diff("Zelfde tekst.", "Zelfde tekst.")
    assert html == "Zelfde tekst." and not stats.changed


def test_from_nothing_everything_is_added():
    html, stats = word_diff("", "Een nieuwe alinea.")
    assert html == "<ins>Een nieuwe alinea.</ins>" and stats.added == 3


@given(st.text(max_size=200))
def test_tokens_are_the_text_again(text):
    assert "".join(tokens(text)) == text
