"""The places: directory, profiles, municipalities, groups, the moderation queue.

Each page has a query budget and a test that its query count stays the same
when there are ten times more members.
"""

from __future__ import annotations

from functools import partial

import pytest
from django.urls import reverse

from community import actions
from community.models import Group, Membership, Municipality
from community.similarity import similar_municipalities
from tests.conftest import approved_member, assert_page_queries, steady_queries
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def add_members(count: int, municipalities: list[Municipality]) -> None:
    """Approved members spread over municipalities, in the groups approval would put them in."""
    members = [MemberFactory(municipality=municipalities[n % len(municipalities)]) for n in range(count)]
    Membership.objects.bulk_create(
        [Membership(member=m, group=group) for m in members for group in Group.objects.automatic_for(m.municipality)]
    )


#: Each page's queries, exactly (tests.conftest.assert_page_queries prints them when they differ).
PAGES = {
    "/members/": 6, "/members/?region=zuid-holland&position=wethouder": 7, "/members/?typology=g4&q=lid": 7,
    "/members/?municipality=GM0518": 7, "/groups/": 2, "/groups/zuid-holland/": 6, "/municipalities/": 5,
    "/municipalities/GM0518/": 11, "/members/fatima/": 5, "/": 5, "/moderation/": 6,
}  # fmt: skip


def test_page_queries_stay_constant_with_ten_times_more_members(client, login, member, ambassador):
    """Guards the N+1s of member cards (municipality and province per member),
    group member counts, typologies per municipality and similar municipalities'
    member counts: each must come from one bulk query, not one per row."""
    login(ambassador)
    peers = list(Municipality.objects.filter(region__slug="zuid-holland")[:5]) + [member.municipality]
    add_members(3, peers)
    assert_page_queries(PAGES, partial(steady_queries, client), "with few members")
    add_members(30, peers)
    for number in range(10):
        MemberFactory(municipality=peers[number % len(peers)], status="pending", approved_at=None)
    assert_page_queries(PAGES, partial(steady_queries, client), "with ten times more")


def test_the_directory_filters_by_municipality_region_typology_and_position(client, login, member, ambassador, almere):
    groningen = approved_member(Municipality.objects.get(code="GM0014"), name="Sanne Groningen", position="raadslid")
    flevo = approved_member(almere, name="Femke Almere", position="raadslid")
    login(member)

    def names(query: str) -> set[str]:
        return {m.name for m in client.get("/members/?" + query).context["page"]}

    assert names("municipality=GM0034") == {"Femke Almere"}
    assert names("region=zuid-holland") == {member.name, ambassador.name}
    assert names("typology=studentensteden") == {member.name, ambassador.name, groningen.name}
    assert names("position=raadslid") == {groningen.name, flevo.name}
    assert names("position=raadslid&region=flevoland") == {flevo.name}
    assert names("q=samira") == {ambassador.name}


def test_the_directory_hides_pending_members(client, login, member, pending_member):
    login(member)
    response = client.get("/members/")
    assert pending_member.name not in response.content.decode()
    assert client.get(reverse("member", args=[pending_member.handle])).status_code == 404


def test_a_bad_filter_value_gives_a_clear_error_not_a_crash(client, login, member):
    login(member)
    response = client.get("/members/?municipality=GM9999&position=koning")
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"municipality", "position"}


def test_the_profile_shows_position_municipality_bio_and_groups(client, login, member, ambassador):
    actions.update_profile(
        member=ambassador,
        name=ambassador.name,
        handle=ambassador.handle,
        position="wethouder",
        bio="Ambassadeur sinds 2024.",
        language="nl",
    )
    login(member)
    body = client.get(reverse("member", args=[ambassador.handle])).content.decode()
    assert "Ambassadeur sinds 2024." in body
    assert "Delft" in body
    assert "Het Plein" in body


def test_the_profile_tells_recent_posts_in_one_thread_apart(client, login, member, ambassador):
    """Two replies in the same thread: each with its number and the start of its text, not
    the thread's title twice; quotes are not part of the excerpt."""
    from threads import actions as thread_actions

    thread = thread_actions.create_thread(
        author=member, group=Group.objects.get(slug="het-plein"), title="Taalcafés", kind="question",
        body="Wie organiseert er een taalcafé?", themes=thread_actions.ensure_themes(["taal"]),
    )  # fmt: skip
    opening = thread.posts.get(number=1)
    thread_actions.reply_to_thread(
        author=ambassador,
        thread=thread,
        body=f"[quote=post:{opening.pk}]\nWie organiseert er een taalcafé?\n[/quote]\n\nWij, in de bibliotheek & het buurthuis.",
    )
    thread_actions.reply_to_thread(author=ambassador, thread=thread, body="Elke dinsdag om tien uur.")
    login(member)
    body = client.get(reverse("member", args=[ambassador.handle])).content.decode()
    assert "#2 · " in body and "#3 · " in body
    assert "Wij, in de bibliotheek &amp; het buurthuis." in body and "Elke dinsdag om tien uur." in body
    assert body.count("Wie organiseert er een taalcafé?") == 0


def test_the_group_directory_has_a_section_per_kind_of_group(client, login, member):
    login(member)
    response = client.get(reverse("groups"))
    headings = [heading for heading, _groups in response.context["sections"]]
    assert headings == ["Plein", "Regionale groepen", "Typologiegroepen"]
    slugs = {group.slug for _heading, groups in response.context["sections"] for group in groups}
    assert slugs == set(Group.objects.values_list("slug", flat=True))


def test_the_group_page_shows_description_moderators_and_members(client, login, member, ambassador):
    login(member)
    response = client.get(reverse("group", args=["zuid-holland"]))
    assert [card.pk for card in response.context["moderators"]] == [ambassador.pk]
    assert [card.pk for card in response.context["members_page"]] == [member.pk]
    assert Group.objects.get(slug="zuid-holland").description in response.content.decode()


def test_members_join_and_leave_typology_groups_but_not_their_region(client, login, member):
    login(member)
    assert client.post(reverse("join_group", args=["grensgemeenten"])).status_code == 302
    assert member.memberships.filter(group__slug="grensgemeenten").exists()
    assert client.post(reverse("leave_group", args=["grensgemeenten"])).status_code == 302
    assert not member.memberships.filter(group__slug="grensgemeenten").exists()
    assert client.post(reverse("leave_group", args=["zuid-holland"])).status_code == 403
    assert client.post(reverse("leave_group", args=["het-plein"])).status_code == 403
    assert member.memberships.filter(group__slug="zuid-holland").exists()
    assert client.post(reverse("join_group", args=["flevoland"])).status_code == 403


def test_the_municipality_page_shows_typologies_members_and_similar_municipalities(client, login, member):
    login(member)
    response = client.get(reverse("municipality", args=["gm0518"]))
    body = response.content.decode()
    assert "566.221" in body
    assert member.name in body
    similar = [item.municipality.name for item, _count, _latest in response.context["similar"]]
    assert similar[0] == "Amsterdam" or similar[0] == "Rotterdam"
    assert "Expatgemeenten" in body


def test_similar_municipalities_say_why(dutch_data):
    den_haag = Municipality.objects.with_typologies().get(code="GM0518")
    results = {s.municipality.name: s for s in similar_municipalities(den_haag)}
    rotterdam = results["Rotterdam"]
    assert {t.slug for t in rotterdam.shared_typologies} >= {"g4", "studentensteden"}
    assert rotterdam.comparable_population and rotterdam.same_province
    assert "Zuid-Holland" in rotterdam.reason and "G4" in rotterdam.reason
    assert all(s.shared_typologies or (s.comparable_population and s.same_province) for s in results.values())


def test_a_small_municipality_finds_peers_of_its_size_in_its_province(dutch_data):
    voorne = Municipality.objects.with_typologies().get(code="GM1992")
    results = similar_municipalities(voorne)
    assert results
    for similar in results:
        assert similar.shared_typologies or (similar.same_province and similar.comparable_population)


def test_an_unknown_municipality_is_a_404(client, login, member):
    login(member)
    assert client.get("/municipalities/GM0000/").status_code == 404


def test_the_moderation_queue_shows_only_sign_ups_in_scope(
    client, login, ambassador, pending_member, pending_from_almere, staff
):
    login(ambassador)
    assert list(client.get(reverse("moderation")).context["applicants"]) == [pending_member]
    login(staff)
    assert set(client.get(reverse("moderation")).context["applicants"]) == {pending_member, pending_from_almere}


def test_a_member_without_moderation_rights_is_told_so(client, login, member):
    login(member)
    assert client.get(reverse("moderation")).status_code == 403


def test_healthz_reports_database_and_channel_layer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "channel_layer": "ok"}


def test_healthz_answers_503_when_the_channel_layer_is_down(client, settings):
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    channel_layers.backends.clear()
    try:
        response = client.get("/healthz")
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 503
    assert response.json()["channel_layer"] == "error"
    assert response.json()["database"] == "ok"
