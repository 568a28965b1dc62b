"""Fixtures for the programme's view: volume data from ``seed_large`` (small), with the
cases the figures must leave out or count differently added through the actions."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from community import actions as community_actions
from community.models import Group, Member, Municipality
from tests.conftest import approved_member
from tests.factories import MemberFactory
from threads import actions
from threads.models import Theme, Thread

SMALL_SEED = ["--members", "60", "--threads", "40", "--posts", "500", "--big-thread-posts", "60", "--bodies", "60"]


def start_thread(author: Member, group: Group, title: str, kind: str = Thread.Kind.EXPERIENCE) -> Thread:
    return actions.create_thread(
        author=author, group=group, title=title, kind=kind, body="Tekst.", themes=list(Theme.objects.all()[:1])
    )


def seed_large(*args: str) -> None:
    call_command("seed_large", *args, stdout=io.StringIO())


@pytest.fixture
def seeded(dutch_data, staff):
    """``seed_large`` on a small scale, plus: a suspended member (counts), a pending sign-up, a
    deactivated account and the programme team (count nowhere), a hidden thread (not counted),
    an unanswered question, and a member whose only post is old (a member, not active)."""
    seed_large(*SMALL_SEED)
    plein = Group.objects.get(slug="het-plein")
    zwolle = Municipality.objects.get(code="GM0193")
    suspended = approved_member(zwolle, name="Sanne Geschorst", handle="sanne", position="raadslid")
    community_actions.suspend_member(
        actor=staff, member=suspended, until=timezone.now() + timedelta(days=3), reason="Even pauze."
    )
    MemberFactory(municipality=zwolle, status=Member.Status.PENDING, approved_at=None, handle="wachtend")
    MemberFactory(municipality=zwolle, status=Member.Status.DEACTIVATED, handle="weg")
    writer = approved_member(zwolle, name="Wim Schrijver", handle="wim", position="burgemeester")
    hidden = start_thread(writer, plein, "Verborgen onderwerp", Thread.Kind.QUESTION)
    actions.hide_thread(actor=staff, thread=hidden, reason="Dubbel geplaatst.")
    start_thread(writer, plein, "Een open vraag uit Zwolle", Thread.Kind.QUESTION)
    quiet = approved_member(
        Municipality.objects.get(code="GM0088"), name="Stille Schrijver", handle="stil", position="wethouder"
    )
    old = start_thread(quiet, plein, "Een oud onderwerp")
    Thread.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=200))
    old.posts.update(created=timezone.now() - timedelta(days=200))
    return plein
