"""The small maps on pages that threads serves: a municipality with its similar
municipalities, and where a typology group's members come from."""

from __future__ import annotations

import re

import pytest
from django.test import RequestFactory

from community.models import Group, Member, Municipality
from community.similarity import similar_municipalities
from tests.conftest import approved_member
from threads.dashboard import pageblocks

pytestmark = pytest.mark.django_db

SIMILAR = re.compile(
    r'<a href="/municipalities/(GM\d{4})/" class="scale-similar"><title>([^<]*)</title><path d="[^"]+"/></a>'
)


def small_map(html: str, map_id: str) -> str:
    start = html.index(f'aria-labelledby="{map_id}-title"')
    return html[html.rindex("<svg", 0, start) : html.index("</svg>", start)]


def test_the_municipality_page_marks_the_municipality_and_its_similar_municipalities(client, login, member):
    login(member)
    html = client.get("/municipalities/GM0518/").content.decode()
    svg = small_map(html, "similar-map")
    similar = similar_municipalities(Municipality.objects.with_typologies().get(code="GM0518"))
    assert len(similar) == 6
    assert [code for code, _title in SIMILAR.findall(svg)] == [s.municipality.code for s in similar]
    assert all(title.endswith(": vergelijkbare gemeente") for _code, title in SIMILAR.findall(svg))
    assert '<path class="scale-self" d="' in svg and "<title>&#x27;s-Gravenhage: deze gemeente</title>" in svg
    assert svg.count('class="marker marker--') == 7
    assert svg.count('<g class="small-map__land" aria-hidden="true"><path d="') == 1 and svg.count("<path d=") >= 12 + 6
    assert '<title id="similar-map-title">Kaart: &#x27;s-Gravenhage en vergelijkbare gemeenten</title>' in svg
    assert "Rotterdam" in svg[svg.index("<desc") : svg.index("</desc>")]
    # Links make it a map to tab through, not one image.
    assert 'role="img"' not in svg and "data-map" in svg


def test_the_similar_map_makes_no_query_of_its_own(member, django_assert_num_queries):
    municipality = Municipality.objects.with_typologies().get(code="GM0518")
    similar = similar_municipalities(municipality)
    request = RequestFactory().get("/municipalities/GM0518/")
    request.user = Member.objects.get(pk=member.pk)
    request.user.roles
    with django_assert_num_queries(0):
        html = pageblocks.similar_map(request, municipality=municipality, similar=similar)
    assert html and "similar-map-title" in html


def test_a_typology_group_shows_where_its_members_come_from(client, login, member, ambassador):
    """Fatima ('s-Gravenhage) and Samira (Delft) are in the student cities' group (both
    municipalities have a university); Leiden is a student city without a member yet."""
    extra = approved_member(Municipality.objects.get(code="GM0518"), handle="tweede")
    group = Group.objects.get(slug="studentensteden")
    assert group.memberships.count() == 3
    login(member)
    html = client.get("/groups/studentensteden/").content.decode()
    svg = small_map(html, "origins-map")
    assert 'role="img"' in svg and "<a " not in svg  # an image: the list beside it has the links
    assert '<path class="scale-2" d="' in svg  # 's-Gravenhage: two members
    assert "<title>&#x27;s-Gravenhage: 2 leden</title>" in svg and "<title>Delft: 1 lid</title>" in svg
    assert "<title>Leiden: nog geen lid</title>" in svg and 'fill="url(#origins-map-none)"' in svg
    section = html[html.index('aria-labelledby="origins-heading"') :]
    assert "2 van de 13 gemeenten met deze typologie doen mee." in section
    listed = re.findall(
        r'<li><a href="/municipalities/(GM\d{4})/">[^<]+</a> <span class="muted">(\d+) (?:lid|leden)</span></li>',
        section,
    )
    assert listed == [("GM0518", "2"), ("GM0503", "1")]
    assert extra.municipality.code == "GM0518"


def test_the_origins_take_two_queries_however_many_members(member, ambassador, django_assert_num_queries):
    group = Group.objects.get(slug="studentensteden")
    request = RequestFactory().get("/groups/studentensteden/")
    request.user = Member.objects.get(pk=member.pk)
    request.user.roles
    with django_assert_num_queries(2):
        few = pageblocks.group_origins(request, group=group)
    for number in range(20):
        approved_member(
            Municipality.objects.get(code=["GM0599", "GM0546", "GM0363"][number % 3]), handle=f"student{number}"
        )
    with django_assert_num_queries(2):
        many = pageblocks.group_origins(request, group=group)
    assert "<title>Rotterdam: nog geen lid</title>" in few
    assert "<title>Rotterdam: 7 leden</title>" in many and "<title>Amsterdam: 6 leden</title>" in many


def test_other_groups_have_no_origins_map(client, login, member):
    login(member)
    for slug in ("het-plein", "zuid-holland"):
        assert "origins-map" not in client.get(f"/groups/{slug}/").content.decode(), slug
