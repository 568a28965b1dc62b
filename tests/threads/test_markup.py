"""threads.markup: the wall between what members type and what other members' browsers run.

The safety checks parse the output with Python's own html.parser, independently of bleach's
html5lib, so a bug shared by the renderer and the sanitiser cannot hide itself. No database.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path
from unittest import mock

import pytest
from django.utils import translation
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from threads.markup import MentionTarget, QuoteSource, render_markdown, render_title

# The allowlist as the specification states it, kept apart from the module's own copy.
ALLOWED_TAGS = frozenset(
    {
        "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr", "a", "table", "thead", "tbody", "tr", "th",
        "td", "cite",
    }
)  # fmt: skip
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
URL_ATTRIBUTES = frozenset({"href", "cite", "src", "action", "formaction", "xlink:href"})
FORBIDDEN_IN_ATTRIBUTES = ("<script", "javascript:", "vbscript:", "data:")
REL = "nofollow ugc noopener"

PAYLOAD_FILE = Path(__file__).with_name("xss_payloads.txt")


def load_payloads() -> list[str]:
    """Every payload line, plus a variant with "\\n" turned into real line breaks."""
    payloads: list[str] = []
    for line in PAYLOAD_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        payloads.append(line)
        if "\\n" in line:
            payloads.append(line.replace("\\n", "\n"))
    return payloads


PAYLOADS = load_payloads()


def resolve_every_member(handles: set[str]) -> dict[str, MentionTarget]:
    """Pretend every candidate exists, so the mention code path runs for every payload."""
    return {h: MentionTarget(handle=h, url=f"/members/{h}/", name=h.title()) for h in handles}


def resolve_every_post(ids: set[int]) -> dict[int, QuoteSource]:
    return {i: QuoteSource(post_id=i, author_name="Auteur", url=f"/t/1/#post-{i}") for i in ids}


def render(source: str) -> str:
    return render_markdown(source, find_members=resolve_every_member, find_posts=resolve_every_post).html


class ElementCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.oddities: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))

    def handle_comment(self, data: str) -> None:
        self.oddities.append(f"comment {data!r}")

    def handle_decl(self, decl: str) -> None:
        self.oddities.append(f"declaration {decl!r}")

    def handle_pi(self, data: str) -> None:
        self.oddities.append(f"processing instruction {data!r}")

    def unknown_decl(self, data: str) -> None:
        self.oddities.append(f"declaration {data!r}")


def normalized(value: str) -> str:
    """What a lenient browser might see: entities decoded (twice), spacing and controls gone."""
    value = html.unescape(html.unescape(value))
    return re.sub(r"[\x00-\x20\x7f-\x9f\s]+", "", value).lower()


def is_allowed_url(value: str) -> bool:
    url = normalized(value)
    if url.startswith(("/", "#")):
        return True
    scheme, colon, _ = url.partition(":")
    return bool(colon) and scheme in SAFE_SCHEMES


def parse(output: str) -> ElementCollector:
    collector = ElementCollector()
    collector.feed(output)
    collector.close()
    return collector


def assert_safe_html(output: str) -> None:
    collector = parse(output)
    assert not collector.oddities, collector.oddities
    for tag, attrs in collector.elements:
        assert tag in ALLOWED_TAGS, f"<{tag}> in {output!r}"
        for name, value in attrs:
            assert not name.startswith("on"), f"{name} on <{tag}> in {output!r}"
            assert name != "style", f"style on <{tag}> in {output!r}"
            for needle in FORBIDDEN_IN_ATTRIBUTES:
                assert needle not in normalized(value or ""), f"{name}={value!r} in {output!r}"
            if name in URL_ATTRIBUTES:
                assert is_allowed_url(value or ""), f"{name}={value!r} in {output!r}"
        if tag == "a":
            assert ("rel", REL) in attrs, f"link without rel in {output!r}"
    assert "<script" not in output.lower()


# --- the payload corpus -------------------------------------------------------------------


def test_the_corpus_holds_at_least_a_hundred_payloads() -> None:
    assert len({p for p in PAYLOADS if "\n" not in p}) >= 100


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_as_post_body_renders_nothing_executable(payload: str) -> None:
    assert_safe_html(render(payload))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_as_title_is_plain_text_that_escapes_completely(payload: str) -> None:
    title = render_title(payload)
    assert "<" not in escape(title)
    assert "\n" not in title and "\x00" not in title


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_inside_a_quote_and_a_table_cell_renders_nothing_executable(payload: str) -> None:
    one_line = payload.replace("\n", " ").replace("|", "\\|")
    assert_safe_html(render(f"[quote=post:7]\n{payload}\n[/quote]"))
    assert_safe_html(render(f"| kop |\n|---|\n| {one_line} |"))


def test_hostile_lookup_results_are_sanitised_too() -> None:
    """Lookups are trusted code, but their data (names, URLs) is still member-influenced."""

    def members(handles: set[str]) -> dict[str, MentionTarget]:
        return {h: MentionTarget(h, "javascript:alert(1)", "<b>x</b>") for h in handles}

    def posts(ids: set[int]) -> dict[int, QuoteSource]:
        name, url = '<img src=x onerror="alert(1)">', 'javascript:alert(1)"'
        return {i: QuoteSource(i, name, url) for i in ids}

    rendered = render_markdown("@fatima\n\n[quote=post:3]hoi[/quote]", find_members=members, find_posts=posts)
    assert_safe_html(rendered.html)
    assert "&lt;img src=x" in rendered.html


# --- properties on random input -----------------------------------------------------------

FRAGMENTS = st.sampled_from(
    [
        "<script>", "</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
        "javascript:", "JaVa\tScRiPt:", "vbscript:", "data:text/html,", "&#106;", "&#x3A;",
        "&colon;", "&lt;", "&amp;", "<", ">", "\"", "'", "`", "```", "~~~", "`x`",
        "[", "]", "(", ")", "](", "![", "[x]: ", "<http://a.b>", "https://a.b", "mailto:x@y",
        "@fatima", "@Jan_de_Vries", "a@b.nl", "[quote=post:1]", "[quote=post:2]", "[/quote]",
        "[quote]", "|", "| a | b |", "|---|:-:|", "\n", "\n\n", "# ", "> ", "- ", "1. ", "7) ",
        "    ", "\t", "*", "**", "_", "~~", "\\", "---", "===", "\x00", "\r", "\x0b", "\u202e",
        "\u2028", "\ufeff", "onerror=", " style=", "<!--", "-->", "<![CDATA[", "]]>", "<a href=",
    ]
)  # fmt: skip
MARKDOWNISH = st.lists(st.one_of(FRAGMENTS, st.text(max_size=6)), max_size=60).map("".join)

PROPERTY_SETTINGS = settings(
    max_examples=300,
    deadline=None,  # speed is measured by benchmarks, not timed tests (SPEC section 3)
    database=None,  # keep example files out of the working tree
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def assert_rendered_invariants(source: str) -> None:
    rendered = render_markdown(source, find_members=resolve_every_member, find_posts=resolve_every_post)
    assert_safe_html(rendered.html)
    assert rendered.text == " ".join(rendered.text.split())
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]", rendered.text)
    assert all(h == h.lower() for h in rendered.mentioned_handles)
    assert len(set(rendered.quoted_post_ids)) == len(rendered.quoted_post_ids)
    assert "<" not in escape(render_title(source))


@PROPERTY_SETTINGS
@given(st.text())
def test_any_text_renders_safely_and_never_raises(source: str) -> None:
    assert_rendered_invariants(source)


@PROPERTY_SETTINGS
@given(MARKDOWNISH)
def test_any_mix_of_markdown_and_html_fragments_renders_safely(source: str) -> None:
    assert_rendered_invariants(source)


@pytest.mark.parametrize(
    "source",
    [
        "",
        "\x00",
        "a\x00b\x01c\x7fd\x9f",
        "lone \ud800 surrogate \udfff",
        "\r\n\r",
        ">" * 10_000,
        "[" * 10_000,
        "*a" * 5_000,
        "- " * 5_000,
        "`" * 10_000,
        "<" * 10_000,
        "[quote=post:1]\n" * 700,
        "[/quote]" * 1_250,
        "[quote=post:1]\n" * 300 + "x\n" + "[/quote]\n" * 300,
        "|a|b|\n|-|-|\n" + "|x|y|\n" * 1_000,
        "@abc " * 2_000,
    ],
    ids=lambda s: repr(s[:20]),
)
def test_degenerate_and_pathological_input_renders_safely(source: str) -> None:
    assert_rendered_invariants(source)


def test_control_characters_and_lone_surrogates_are_removed() -> None:
    rendered = render_markdown("a\x00b \ud800c\x1bd")
    assert rendered.text == "ab cd"
    rendered.html.encode("utf-8")  # would raise on a surviving surrogate


# --- Markdown features --------------------------------------------------------------------


def test_tables_render_with_alignment_as_classes_not_styles() -> None:
    output = render_markdown("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |").html
    assert "<table>" in output and "<thead>" in output and "<tbody>" in output
    assert '<th class="align-left">a</th>' in output
    assert '<td class="align-center">2</td>' in output
    assert '<td class="align-right">3</td>' in output
    assert "style" not in output


def test_strikethrough_renders() -> None:
    assert "<s>weg</s>" in render_markdown("~~weg~~").html


def test_raw_html_is_shown_as_text() -> None:
    output = render_markdown("Dit is <b>vet</b> en <script>alert(1)</script>").html
    assert output == ("<p>Dit is &lt;b&gt;vet&lt;/b&gt; en &lt;script&gt;alert(1)&lt;/script&gt;</p>\n")


def test_links_get_nofollow_ugc_noopener() -> None:
    source = '[gemeente](https://www.denhaag.nl "Den Haag") en <https://x.nl>'
    output = render_markdown(source).html
    assert ('<a href="https://www.denhaag.nl" title="Den Haag" rel="nofollow ugc noopener">gemeente</a>') in output
    assert '<a href="https://x.nl" rel="nofollow ugc noopener">https://x.nl</a>' in output


def test_mailto_relative_and_fragment_links_are_allowed() -> None:
    output = render_markdown("[a](mailto:info@x.nl) [b](/groups/) [c](#post-3)").html
    assert 'href="mailto:info@x.nl"' in output
    assert 'href="/groups/"' in output
    assert 'href="#post-3"' in output


def test_a_refused_link_stays_readable_as_typed() -> None:
    rendered = render_markdown("[klik](javascript:alert(1)) en [site](www.example.nl)")
    assert "<a" not in rendered.html
    assert "[klik](javascript:alert(1))" in rendered.text


def test_images_become_links_to_the_image_and_never_embed() -> None:
    output = render_markdown("![kaart van Nederland](https://x.nl/kaart.png)").html
    assert "<img" not in output
    assert '<a href="https://x.nl/kaart.png" rel="nofollow ugc noopener">kaart van Nederland</a>' in output


def test_an_image_without_alt_text_links_with_its_url() -> None:
    output = render_markdown("![](https://x.nl/a.png)").html
    assert ">https://x.nl/a.png</a>" in output


def test_an_image_inside_a_link_keeps_only_its_alt_text() -> None:
    output = render_markdown("[![logo](https://x.nl/l.png)](https://x.nl)").html
    assert output.count("<a ") == 1
    assert '<a href="https://x.nl" rel="nofollow ugc noopener">logo</a>' in output


def test_headings_are_demoted_two_levels_so_the_page_keeps_h1_and_h2() -> None:
    source = "# Een\n\n## Twee\n\n### Drie\n\n#### Vier\n\n###### Zes\n\nSetext\n==="
    output = render_markdown(source).html
    assert "<h3>Een</h3>" in output
    assert "<h4>Twee</h4>" in output
    assert "<h5>Drie</h5>" in output
    assert "<h6>Vier</h6>" in output
    assert "<h6>Zes</h6>" in output
    assert "<h3>Setext</h3>" in output
    assert "<h1" not in output and "<h2" not in output


def test_fenced_code_keeps_a_valid_language_class_only() -> None:
    assert '<code class="language-python">' in render_markdown("```python\nx\n```").html
    assert "<code>" in render_markdown('```"><b>\nx\n```').html


def test_ordered_lists_keep_their_start_number() -> None:
    assert '<ol start="7">' in render_markdown("7. zeven\n8. acht").html


def test_nesting_beyond_the_limit_is_dropped_not_rendered() -> None:
    output = render_markdown("> " * 100 + "diep").html
    assert output.count("<blockquote>") <= 20


# --- mentions -----------------------------------------------------------------------------


class MemberDirectory:
    """A find_members stand-in that records its calls."""

    def __init__(self, *handles: str) -> None:
        self.members = {h: MentionTarget(h, f"/members/{h}/", h.title()) for h in handles}
        self.calls: list[set[str]] = []

    def __call__(self, handles: set[str]) -> dict[str, MentionTarget]:
        self.calls.append(set(handles))
        return {h: self.members[h] for h in handles if h in self.members}


def test_mentions_resolve_with_one_lookup_for_all_candidates() -> None:
    directory = MemberDirectory("fatima", "jan_de_vries")
    rendered = render_markdown("Hoi @Fatima en @jan_de_vries!\n\n- ook @fatima\n- en @onbekend", find_members=directory)
    assert directory.calls == [{"fatima", "jan_de_vries", "onbekend"}]
    assert '<a href="/members/fatima/" class="mention" rel="nofollow ugc noopener">@fatima</a>' in rendered.html
    assert 'href="/members/jan_de_vries/"' in rendered.html
    assert rendered.mentioned_handles == frozenset({"fatima", "jan_de_vries"})


def test_unknown_handles_stay_plain_text() -> None:
    rendered = render_markdown("Hoi @onbekend", find_members=MemberDirectory("fatima"))
    assert rendered.html == "<p>Hoi @onbekend</p>\n"
    assert rendered.mentioned_handles == frozenset()


def test_mentions_in_code_stay_text_and_are_not_looked_up() -> None:
    directory = MemberDirectory("fatima")
    rendered = render_markdown("`@fatima`\n\n```\n@fatima\n```\n\n    @fatima", find_members=directory)
    assert directory.calls == []
    assert "mention" not in rendered.html
    assert rendered.mentioned_handles == frozenset()


def test_email_addresses_are_not_mentions() -> None:
    directory = MemberDirectory("fatima", "gemeente")
    rendered = render_markdown(
        "Mail fatima@gemeente.nl of a.b@fatima.nl of <fatima@gemeente.nl>", find_members=directory
    )
    assert directory.calls == []
    assert "mention" not in rendered.html


def test_mentions_inside_links_and_urls_are_not_linked() -> None:
    directory = MemberDirectory("fatima")
    rendered = render_markdown("[@fatima](https://x.nl) en https://mastodon.social/@fatima", find_members=directory)
    assert directory.calls == []
    assert "mention" not in rendered.html


def test_mentions_next_to_punctuation_resolve() -> None:
    directory = MemberDirectory("fatima")
    rendered = render_markdown("(@fatima), **@fatima**.", find_members=directory)
    assert rendered.html.count('class="mention"') == 2


def test_the_lookup_is_skipped_when_there_is_nothing_to_look_up() -> None:
    directory = MemberDirectory("fatima")
    posts = mock.Mock(return_value={})
    render_markdown("Geen vermeldingen hier.", find_members=directory, find_posts=posts)
    assert directory.calls == []
    posts.assert_not_called()


# --- quotes -------------------------------------------------------------------------------


class PostIndex:
    """A find_posts stand-in that records its calls."""

    def __init__(self, *ids: int) -> None:
        self.posts = {i: QuoteSource(i, f"Auteur {i}", f"/t/12/#post-{i}") for i in ids}
        self.calls: list[set[int]] = []

    def __call__(self, ids: set[int]) -> dict[int, QuoteSource]:
        self.calls.append(set(ids))
        return {i: self.posts[i] for i in ids if i in self.posts}


def test_a_quote_renders_with_its_author_link_and_returns_the_id() -> None:
    with translation.override("en"):
        rendered = render_markdown("[quote=post:34]\nIk vond *dit* goed.\n[/quote]\n\nEens!", find_posts=PostIndex(34))
    assert rendered.html == (
        '<blockquote class="quote" cite="/t/12/#post-34">\n'
        '<p class="quote__source"><a href="/t/12/#post-34" rel="nofollow ugc noopener">'
        "Auteur 34</a> wrote:</p>\n"
        "<p>Ik vond <em>dit</em> goed.</p>\n"
        "</blockquote>\n"
        "<p>Eens!</p>\n"
    )
    assert rendered.quoted_post_ids == (34,)


def test_a_single_line_quote_works() -> None:
    rendered = render_markdown("[quote=post:34]kort[/quote]", find_posts=PostIndex(34))
    assert "<p>kort</p>" in rendered.html
    assert rendered.quoted_post_ids == (34,)


def test_the_attribution_goes_through_gettext() -> None:
    with mock.patch("threads.markup.gettext", return_value="%(name)s schreef:"):
        output = render_markdown("[quote=post:34]x[/quote]", find_posts=PostIndex(34)).html
    assert "Auteur 34</a> schreef:</p>" in output


def test_an_unknown_quote_renders_as_a_plain_blockquote_without_attribution() -> None:
    rendered = render_markdown("[quote=post:99]\nwie?\n[/quote]", find_posts=PostIndex(34))
    assert rendered.html == "<blockquote>\n<p>wie?</p>\n</blockquote>\n"
    assert rendered.quoted_post_ids == ()


def test_quoted_ids_come_in_order_deduplicated_from_one_lookup() -> None:
    index = PostIndex(1, 2, 3)
    rendered = render_markdown(
        "[quote=post:3]a[/quote]\n\n[quote=post:1]b[/quote]\n\n[quote=post:3]c[/quote]\n\n"
        "[quote=post:2]d[/quote]\n\n[quote=post:5]e[/quote]",
        find_posts=index,
    )
    assert index.calls == [{1, 2, 3, 5}]
    assert rendered.quoted_post_ids == (3, 1, 2)


def test_quotes_nest_two_levels_and_deeper_ones_are_plain_blockquotes() -> None:
    index = PostIndex(1, 2, 3)
    rendered = render_markdown(
        "[quote=post:1]\neen\n[quote=post:2]\ntwee\n[quote=post:3]\ndrie\n[/quote]\n[/quote]\n[/quote]",
        find_posts=index,
    )
    assert index.calls == [{1, 2}]
    assert rendered.html.count('<blockquote class="quote"') == 2
    assert rendered.html.count("<blockquote>") == 1
    assert "<p>drie</p>" in rendered.html
    assert rendered.quoted_post_ids == (1, 2)


def test_stacked_closers_close_nested_quotes() -> None:
    rendered = render_markdown(
        "[quote=post:1]\n[quote=post:2]\nbinnen\n[/quote][/quote]\nbuiten",
        find_posts=PostIndex(1, 2),
    )
    assert rendered.html.count("</blockquote>") == 2
    assert rendered.html.endswith("</blockquote>\n<p>buiten</p>\n")


def test_an_unclosed_quote_stays_visible_as_text() -> None:
    rendered = render_markdown("[quote=post:1]\nhalf", find_posts=PostIndex(1))
    assert "<blockquote" not in rendered.html
    assert rendered.text == "[quote=post:1] half"


def test_quote_markers_in_code_are_code() -> None:
    index = PostIndex(1)
    rendered = render_markdown("```\n[quote=post:1]\nx\n[/quote]\n```", find_posts=index)
    assert "<blockquote" not in rendered.html
    assert index.calls == []


def test_mentions_inside_quotes_are_linked_but_not_reported() -> None:
    directory = MemberDirectory("fatima", "jan")
    rendered = render_markdown(
        "[quote=post:1]\n@fatima zei iets\n[/quote]\n\nKlopt @jan",
        find_members=directory,
        find_posts=PostIndex(1),
    )
    assert directory.calls == [{"fatima", "jan"}]
    assert rendered.html.count('class="mention"') == 2
    assert rendered.mentioned_handles == frozenset({"jan"})


def test_quoted_markdown_is_sanitised_like_the_rest() -> None:
    output = render_markdown(
        "[quote=post:1]\n<script>x</script> [a](javascript:x)\n[/quote]", find_posts=PostIndex(1)
    ).html
    assert "&lt;script&gt;x&lt;/script&gt; [a](javascript:x)" in output


# --- plain text ---------------------------------------------------------------------------


def test_text_is_plain_with_entities_decoded_and_whitespace_collapsed() -> None:
    rendered = render_markdown(
        "# Kop\n\nEen **vette**   tekst &amp; een [link](https://x.nl)\nmet `code`.\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n![kaart](https://x.nl/k.png)\n\n<i>geen html</i>",
        find_members=MemberDirectory("fatima"),
    )
    assert rendered.text == ("Kop Een vette tekst & een link met code. a b 1 2 kaart <i>geen html</i>")


def test_text_leaves_quoted_material_out() -> None:
    rendered = render_markdown(
        "[quote=post:1]\nwat een ander schreef\n[/quote]\n\nMijn antwoord.",
        find_posts=PostIndex(1),
    )
    assert rendered.text == "Mijn antwoord."


# --- titles -------------------------------------------------------------------------------


def test_titles_collapse_whitespace_and_lose_control_characters() -> None:
    assert render_title("  Arbeids\x00migranten\n\tin \u202eWestland\x07  ") == ("Arbeidsmigranten in Westland")


def test_titles_are_not_html_processed() -> None:
    assert render_title("<b>Vet</b> &amp; zo") == "<b>Vet</b> &amp; zo"
