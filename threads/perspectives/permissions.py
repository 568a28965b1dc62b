"""Who may read and write handelingsperspectieven.

Editors are the ambassadors and the programme team: they draft, edit and review. A
second editor reviews and publishes; whoever wrote part of the round under review may
not (``can_review_perspective``). Approved members read published perspectives;
visitors without an account (and members not yet approved) only the public ones.

Pure functions over the member's roles and the objects at hand, as in
``threads.permissions``; ``access_`` functions fetch or 404 with the same 404 for what
does not exist and what the member may not read.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from community.permissions import is_participant
from threads.permissions import can_read_thread

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.db.models import QuerySet
    from django.http import HttpResponseRedirect
    from typing_extensions import TypeIs

    from community.models import Member
    from threads.models import Post, Thread
    from threads.perspectives.models import Perspective, PerspectiveVersion

#: Threads that can be used in a perspective from their page: solved questions, and
#: experiences and dilemmas (what municipalities did and weighed).
CITABLE_KINDS = ("experience", "dilemma")


class LoginFirst(Exception):
    """A visitor asked for something only members may read: send them to the login page."""


def is_editor(member: Member | AnonymousUser | None) -> TypeIs[Member]:
    """Ambassadors and the programme team write perspectives."""
    return is_participant(member) and (member.is_staff or member.roles.is_ambassador)


def can_read_perspective(member: Member | AnonymousUser | None, perspective: Perspective) -> bool:
    """The published versions: for members, or for everyone when made public. Editors
    also open perspectives that have no published version yet (their working copy)."""
    if not perspective.is_published:
        return is_editor(member)
    return perspective.is_public or is_participant(member)


def can_edit_perspective(member: Member | None, perspective: Perspective) -> bool:
    """The working copy changes while it is a draft (or published: the edit starts a new round)."""
    return is_editor(member) and perspective.status in ("draft", "published")


def can_submit_perspective(member: Member | None, perspective: Perspective) -> bool:
    return is_editor(member) and perspective.status == "draft"


def can_review_perspective(member: Member | None, perspective: Perspective, authors: Collection[int]) -> bool:
    """A second editor: not one of ``authors``, who changed the working copy in this round
    or sent it for review."""
    return is_editor(member) and perspective.status == "review" and member.pk not in authors


def can_return_perspective(member: Member | None, perspective: Perspective) -> bool:
    """Any editor sends a perspective in review back to draft: the reviewer with a note,
    or its writer to change something more."""
    return is_editor(member) and perspective.status == "review"


def can_manage_perspective(member: Member | None, perspective: Perspective) -> bool:
    """Make public or not, and supersede: editors, for a published perspective."""
    return is_editor(member) and perspective.is_published and not perspective.is_superseded


def can_cite_thread(member: Member | None, thread: Thread) -> bool:
    """ "Gebruik in een handelingsperspectief" on a solved question or an experience or dilemma."""
    if not is_editor(member) or thread.hidden or not can_read_thread(member, thread):
        return False
    return thread.is_solved or thread.kind in CITABLE_KINDS


def can_cite_post(member: Member | None, post: Post) -> bool:
    return is_editor(member) and post.is_visible and not post.thread.hidden and can_read_thread(member, post.thread)


def can_suggest_thread(member: Member | None, thread: Thread) -> bool:
    """Members who read a thread suggest it to the editors (editors use it themselves)."""
    return is_participant(member) and not is_editor(member) and not thread.hidden and can_read_thread(member, thread)


def check(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def check_editor(member: Member | None) -> None:
    check(is_editor(member), _("Only ambassadors and the programme team write handelingsperspectieven."))


def check_edit_perspective(member: Member, perspective: Perspective) -> None:
    check_editor(member)
    if perspective.status == "review":
        raise PermissionDenied(_("This handelingsperspectief is in review. Send it back to draft to change it."))
    check(can_edit_perspective(member, perspective), _("This handelingsperspectief can no longer be changed."))


def check_review_perspective(member: Member, perspective: Perspective, authors: Collection[int]) -> None:
    check_editor(member)
    check(
        can_review_perspective(member, perspective, authors),
        _("A second editor reviews and publishes: you worked on this version yourself."),
    )


def check_cite_thread(member: Member, thread: Thread) -> None:
    check(
        can_cite_thread(member, thread),
        _("Only editors use solved questions, experiences and dilemmas in a handelingsperspectief."),
    )


def check_suggest_thread(member: Member, thread: Thread) -> None:
    check(can_suggest_thread(member, thread), _("You cannot suggest this thread."))


def access_perspective(request: HttpRequest, slug: str, queryset: QuerySet[Perspective] | None = None) -> Perspective:
    """The perspective if the viewer may read it. A visitor who may not goes to the login
    page, for a missing slug as well, so that nobody learns which perspectives exist;
    whoever is logged in gets a 404."""
    from threads.perspectives.models import Perspective

    member = request.user
    perspectives = Perspective.objects.all() if queryset is None else queryset
    perspective = perspectives.filter(slug=slug).first()
    if perspective is None or not can_read_perspective(member, perspective):
        if not member.is_authenticated:
            raise LoginFirst
        raise Http404  # a member, or someone logged in but not (yet) allowed in: logging in again would not help
    return perspective


def access_draft(member: Member, slug: str, queryset: QuerySet[Perspective] | None = None) -> Perspective:
    """The working copy, for editors (404 for everyone else)."""
    from threads.perspectives.models import Perspective

    if not is_editor(member):
        raise Http404
    perspectives = Perspective.objects.all() if queryset is None else queryset
    perspective = perspectives.filter(slug=slug).first()
    if perspective is None:
        raise Http404
    return perspective


def access_version(request: HttpRequest, perspective: Perspective, number: int) -> PerspectiveVersion:
    from threads.perspectives.models import PerspectiveVersion

    version = PerspectiveVersion.objects.filter(perspective=perspective, number=number).first()
    if version is None:
        raise Http404
    return version


def login_redirect(request: HttpRequest) -> HttpResponseRedirect:
    return redirect_to_login(request.get_full_path())
