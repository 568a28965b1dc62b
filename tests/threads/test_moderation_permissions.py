"""The moderation permission matrix, generated from ONE table.

Every moderation URL and action (rows) is tried by every kind of person
(columns): anonymous, pending, member, moderator of another group, ambassador
of another province, ambassador of this province, typology-group moderator and
staff. Each row names its scope; the scope says who may. Allowed requests do
what they promise (and write the log); refused requests change nothing at all.

The world: Fatima ('s-Gravenhage, Zuid-Holland) wrote a thread in the regional
group of Zuid-Holland and one in the typology group Expatgemeenten, each with a
reply of hers that Thijs flagged; Sara from 's-Gravenhage waits for approval;
Bram from Delft is suspended.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from community import actions as community_actions
from community.models import Group, Member, Membership, ModerationLogEntry, Municipality
from notifications.groups import may_join_moderation_group
from notifications.models import Notification
from tests.conftest import approved_member
from tests.factories import GroupFactory
from tests.second_factor import log_in_verified, needs_second_factor
from tests.threads.conftest import make_thread
from threads import actions
from threads.models import Flag, Post, PostRevision, Thread

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "pending",
    "member",
    "other_group_moderator",
    "ambassador_elsewhere",
    "ambassador_here",
    "typology_moderator",
    "staff",
]
MODERATORS = {"other_group_moderator", "ambassador_elsewhere", "ambassador_here", "typology_moderator", "staff"}

#: Who may, per scope: the whole permission table of SPEC F6, seen from the outside.
SCOPES: dict[str, set[str]] = {
    # Threads and posts in Zuid-Holland's regional group: its moderators (the ambassadors) and staff.
    "regional group": {"ambassador_here", "staff"},
    # Threads and posts in the typology group: its moderators only (and staff).
    "typology group": {"typology_moderator", "staff"},
    # Sign-ups and members from municipalities in Zuid-Holland.
    "province": {"ambassador_here", "staff"},
    # The moderation pages themselves: anyone who moderates something.
    "any moderator": MODERATORS,
}


@dataclass
class World:
    people: dict[str, Member | None]
    regional: Thread
    regional_reply: Post
    typology: Thread
    typology_reply: Post
    applicant: Member
    author: Member
    suspended: Member
    move_target: Group
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    """One moderation URL or action: how to try it, and the scope that may."""

    name: str
    scope: str
    method: str  # "get", "post", "see" (GET, and the object shows only to those who may), or "socket"
    url: Callable[[World], str] = lambda w: ""
    data: Callable[[World], dict] = lambda w: {}
    prepare: Callable[[World], None] = lambda w: None
    check: Callable[[World], bool] = lambda w: True  # what an allowed request did
    socket_group: Callable[[World], int] | None = None


def _staff(w: World) -> Member:
    return w.people["staff"]


def _thread(w: World) -> Thread:
    return Thread.objects.get(pk=w.regional.pk)


def _post(w: World, which: str = "regional") -> Post:
    return Post.objects.get(pk=(w.regional_reply if which == "regional" else w.typology_reply).pk)


TABLE: list[Row] = [
    # --- Threads in the regional group
    Row(
        "pin a thread",
        "regional group",
        "post",
        lambda w: reverse("pin_thread", args=[w.regional.pk]),
        check=lambda w: _thread(w).pinned,
    ),
    Row(
        "unpin a thread",
        "regional group",
        "post",
        lambda w: reverse("unpin_thread", args=[w.regional.pk]),
        prepare=lambda w: actions.pin_thread(actor=_staff(w), thread=w.regional),
        check=lambda w: not _thread(w).pinned,
    ),
    Row(
        "close a thread",
        "regional group",
        "post",
        lambda w: reverse("lock_thread", args=[w.regional.pk]),
        data=lambda w: {"reason": "Alles is gezegd."},
        check=lambda w: _thread(w).locked,
    ),
    Row(
        "reopen a thread",
        "regional group",
        "post",
        lambda w: reverse("unlock_thread", args=[w.regional.pk]),
        prepare=lambda w: actions.lock_thread(actor=_staff(w), thread=w.regional, reason="Dicht"),
        check=lambda w: not _thread(w).locked,
    ),
    Row(
        "hide a thread",
        "regional group",
        "post",
        lambda w: reverse("hide_thread", args=[w.regional.pk]),
        data=lambda w: {"reason": "Persoonsgegevens van inwoners."},
        check=lambda w: _thread(w).hidden,
    ),
    Row(
        "show a hidden thread again",
        "regional group",
        "post",
        lambda w: reverse("unhide_thread", args=[w.regional.pk]),
        prepare=lambda w: actions.hide_thread(actor=_staff(w), thread=w.regional, reason="Even weg"),
        check=lambda w: not _thread(w).hidden,
    ),
    Row(
        "move a thread to another group the moderator moderates",
        "regional group",
        "post",
        lambda w: reverse("move_thread", args=[w.regional.pk]),
        data=lambda w: {"group": w.move_target.pk, "reason": "Past beter bij wonen."},
        check=lambda w: _thread(w).group_id == w.move_target.pk,
    ),
    Row(
        "edit someone's post as a moderator",
        "regional group",
        "post",
        lambda w: reverse("edit_post", args=[w.regional_reply.pk]),
        data=lambda w: {"body": "Tekst aangepast door de moderator.", "reason": "Telefoonnummer verwijderd."},
        check=lambda w: PostRevision.objects.filter(post=w.regional_reply, by_moderator=True).exists(),
    ),
    Row(
        "hide a post",
        "regional group",
        "post",
        lambda w: reverse("hide_post", args=[w.regional_reply.pk]),
        data=lambda w: {"reason": "Reclame."},
        check=lambda w: _post(w).hidden,
    ),
    Row(
        "show a hidden post again",
        "regional group",
        "post",
        lambda w: reverse("unhide_post", args=[w.regional_reply.pk]),
        prepare=lambda w: actions.hide_post(actor=_staff(w), post=w.regional_reply, reason="Even weg"),
        check=lambda w: not _post(w).hidden,
    ),
    Row(
        "decide on the flags of a post",
        "regional group",
        "post",
        lambda w: reverse("review_flags", args=[w.regional_reply.pk]),
        data=lambda w: {
            f"review-{w.regional_reply.pk}-outcome": "hide",
            f"review-{w.regional_reply.pk}-reason": "Inderdaad reclame.",
        },
        check=lambda w: _post(w).hidden and not Flag.objects.filter(post=w.regional_reply, status="open").exists(),
    ),
    Row(
        "open the review page of a flagged post",
        "regional group",
        "get",
        lambda w: reverse("review_flags", args=[w.regional_reply.pk]),
    ),
    Row(
        "see the flagged post in the flag queue",
        "regional group",
        "see",
        lambda w: reverse("moderation") + "?queue=flags",
        check=lambda w: f'id="flagged-{w.regional_reply.pk}"' in w.extra["body"],
    ),
    Row(
        "follow the regional group's queue counts live",
        "regional group",
        "socket",
        socket_group=lambda w: w.regional.group_id,
    ),
    # --- Threads in the typology group
    Row(
        "hide a post in a typology group",
        "typology group",
        "post",
        lambda w: reverse("hide_post", args=[w.typology_reply.pk]),
        data=lambda w: {"reason": "Reclame."},
        check=lambda w: _post(w, "typology").hidden,
    ),
    Row(
        "close a thread in a typology group",
        "typology group",
        "post",
        lambda w: reverse("lock_thread", args=[w.typology.pk]),
        data=lambda w: {"reason": "Alles is gezegd."},
        check=lambda w: Thread.objects.get(pk=w.typology.pk).locked,
    ),
    Row(
        "decide on the flags of a post in a typology group",
        "typology group",
        "post",
        lambda w: reverse("review_flags", args=[w.typology_reply.pk]),
        data=lambda w: {f"review-{w.typology_reply.pk}-outcome": "dismiss", f"review-{w.typology_reply.pk}-reason": ""},
        check=lambda w: Flag.objects.get(post=w.typology_reply).status == "dismissed",
    ),
    Row(
        "follow the typology group's queue counts live",
        "typology group",
        "socket",
        socket_group=lambda w: w.typology.group_id,
    ),
    # --- Members of the province
    Row(
        "approve a sign-up",
        "province",
        "post",
        lambda w: reverse("approve_signup", args=[w.applicant.pk]),
        check=lambda w: Member.objects.get(pk=w.applicant.pk).status == "active",
    ),
    Row(
        "reject a sign-up",
        "province",
        "post",
        lambda w: reverse("reject_signup", args=[w.applicant.pk]),
        data=lambda w: {"reason": "Geen medewerker van de gemeente."},
        check=lambda w: Member.objects.get(pk=w.applicant.pk).status == "rejected",
    ),
    Row(
        "suspend a member",
        "province",
        "post",
        lambda w: reverse("suspend_member", args=[w.author.handle]),
        data=lambda w: {
            "until": (timezone.localdate() + timedelta(days=7)).isoformat(),
            "reason": "Herhaald scheldwoorden.",
        },
        check=lambda w: Member.objects.get(pk=w.author.pk).is_suspended,
    ),
    Row(
        "lift a suspension",
        "province",
        "post",
        lambda w: reverse("lift_suspension", args=[w.suspended.handle]),
        data=lambda w: {"reason": "Excuses aangeboden."},
        check=lambda w: Member.objects.get(pk=w.suspended.pk).status == "active",
    ),
    Row(
        "see the sign-up in the queue",
        "province",
        "see",
        lambda w: reverse("moderation") + "?queue=signups",
        check=lambda w: w.extra["body"].count(w.applicant.email) > 0,
    ),
    Row("open the suspend form", "province", "get", lambda w: reverse("suspend_member", args=[w.author.handle])),
    # --- The pages
    Row("open the moderation queues", "any moderator", "get", lambda w: reverse("moderation") + "?queue=flags"),
    Row("read the moderation log", "any moderator", "get", lambda w: reverse("moderation_log")),
]


@pytest.fixture
def world(dutch_data, staff, member, ambassador, flevoland_ambassador, pending_member, themes) -> World:
    regional_group = Group.objects.get(slug="zuid-holland")
    typology_group = Group.objects.get(slug="expatgemeenten")
    thijs = approved_member(Municipality.objects.get(code="GM1783"), name="Thijs Willems", handle="thijs")
    joost = approved_member(Municipality.objects.get(code="GM0344"), name="Joost Smit", handle="joost")
    community_actions.make_moderator(member=joost, group=GroupFactory(slug="opvang", name="Opvang"))
    tess = approved_member(Municipality.objects.get(code="GM0363"), name="Tess de Vries", handle="tess")
    community_actions.make_moderator(member=tess, group=typology_group)
    move_target = GroupFactory(slug="wonen-en-werk", name="Wonen en werk")
    community_actions.make_moderator(member=ambassador, group=move_target)
    regional = make_thread(member, regional_group, title="Opvang in de regio", posts=1)
    typology = make_thread(member, typology_group, title="Expats en huisvesting", posts=1)
    regional_reply, typology_reply = regional.posts.get(number=2), typology.posts.get(number=2)
    actions.flag_post(member=thijs, post=regional_reply, reason="spam")
    actions.flag_post(member=tess, post=typology_reply, reason="off_topic")
    bram = approved_member(Municipality.objects.get(code="GM0503"), name="Bram Visser", handle="bram")
    community_actions.suspend_member(actor=staff, member=bram, until=timezone.now() + timedelta(days=3), reason="Spam")
    people = {
        "anonymous": None,
        "pending": pending_member,
        "member": thijs,
        "other_group_moderator": joost,
        "ambassador_elsewhere": flevoland_ambassador,
        "ambassador_here": ambassador,
        "typology_moderator": tess,
        "staff": staff,
    }
    return World(
        people=people,
        regional=regional,
        regional_reply=regional_reply,
        typology=typology,
        typology_reply=typology_reply,
        applicant=pending_member,
        author=member,
        suspended=bram,
        move_target=move_target,
    )


def fingerprint() -> tuple:
    """Everything a moderation step could change (last_login aside: logging in changes it)."""
    return (
        list(
            Thread.objects.order_by("pk").values_list("pk", "pinned", "locked", "hidden", "hidden_reason", "group_id")
        ),
        list(
            Post.objects.order_by("pk").values_list(
                "pk", "hidden", "hidden_reason", "deleted_at", "body", "revision_count"
            )
        ),
        list(
            Member.objects.order_by("pk").values_list("pk", "status", "status_reason", "suspended_until", "is_active")
        ),
        list(Flag.objects.order_by("pk").values_list("pk", "status")),
        list(Membership.objects.order_by("pk").values_list("pk", "role")),
        PostRevision.objects.count(),
        ModerationLogEntry.objects.count(),
        Notification.objects.count(),
    )


def test_the_table_covers_every_moderation_url():
    """A moderation URL without a row in the table fails here."""
    from tests.community.test_access import all_routes

    moderation_names = {
        "moderation",
        "moderation_log",
        "review_flags",
        "approve_signup",
        "reject_signup",
        "suspend_member",
        "lift_suspension",
        "pin_thread",
        "unpin_thread",
        "lock_thread",
        "unlock_thread",
        "hide_thread",
        "unhide_thread",
        "move_thread",
        "hide_post",
        "unhide_post",
    }
    site = {name for name, _route in all_routes()}
    assert moderation_names <= site
    covered = set()
    dummy = World(
        people={},
        regional=Thread(pk=1),
        regional_reply=Post(pk=2),
        typology=Thread(pk=3),
        typology_reply=Post(pk=4),
        applicant=Member(pk=5),
        author=Member(pk=6, handle="a"),
        suspended=Member(pk=7, handle="b"),
        move_target=Group(pk=8),
    )
    from django.urls import resolve

    for row in TABLE:
        if row.method != "socket":
            covered.add(resolve(row.url(dummy).split("?")[0]).url_name)
    covered.add("edit_post")
    assert moderation_names <= covered, f"rows missing for {moderation_names - covered}"


@pytest.mark.parametrize("row", TABLE, ids=lambda row: row.name.replace(" ", "-"))
def test_who_may_do_what(client, world, row):
    allowed = SCOPES[row.scope]
    for role in ROLES:
        person = world.people[role]
        expected = role in allowed
        with transaction.atomic():
            row.prepare(world)
            before = fingerprint()
            if row.method == "socket":
                subject = Member.objects.get(pk=person.pk) if person else AnonymousUser()
                assert may_join_moderation_group(subject, row.socket_group(world)) is expected, f"{row.name}: {role}"
                transaction.set_rollback(True)
                continue
            client.logout()
            if person is not None and needs_second_factor(person):
                log_in_verified(client, Member.objects.get(pk=person.pk))
            elif person is not None:
                client.force_login(Member.objects.get(pk=person.pk), backend="community.auth.EmailBackend")
            response = getattr(client, "get" if row.method == "see" else row.method)(row.url(world), row.data(world))
            after = fingerprint()
            where = f"{row.name} as {role}: {response.status_code}"
            if row.method == "see":
                world.extra["body"] = response.content.decode() if response.status_code == 200 else ""
                assert row.check(world) is expected, where
                assert after == before, f"{row.name} as {role} changed something"
            elif expected:
                if row.method == "get":
                    assert response.status_code == 200, where
                else:
                    assert response.status_code == 302, (
                        where
                        + f" {getattr(response, 'context', {}) and response.context.get('form') and response.context['form'].errors}"
                    )
                    assert row.check(world), where + " did not do what it promised"
                    assert after[6] > before[6], where + " wrote no moderation log entry"
            else:
                if role == "anonymous":
                    assert response.status_code == 302 and response.url.startswith(reverse("login")), where
                elif role == "pending":
                    assert response.status_code == 302 and response.url == reverse("account_status"), where
                else:
                    assert response.status_code in (403, 404), where
                assert after == before, f"{row.name} as {role} was refused but changed something"
            transaction.set_rollback(True)


def test_the_permission_functions_make_no_queries_once_roles_are_loaded(world, django_assert_num_queries):
    from community import permissions as community_permissions
    from threads import permissions

    ambassador = Member.objects.select_related("municipality").get(pk=world.people["ambassador_here"].pk)
    post = Post.objects.select_related("thread__group", "author__municipality").get(pk=world.regional_reply.pk)
    author = Member.objects.select_related("municipality").get(pk=world.author.pk)
    applicant = Member.objects.select_related("municipality").get(pk=world.applicant.pk)
    ambassador.roles
    with django_assert_num_queries(0):
        assert permissions.can_hide_post(ambassador, post)
        assert permissions.can_review_flags(ambassador, post)
        assert permissions.can_lock_thread(ambassador, post.thread)
        assert permissions.can_move_thread(ambassador, post.thread, world.move_target)
        assert community_permissions.can_suspend_member(ambassador, author)
        assert community_permissions.can_decide_signup(ambassador, applicant)
        assert may_join_moderation_group(ambassador, post.thread.group_id)
