"""Who may do what with a second factor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from community.permissions import is_participant
from community.twofactor.state import requires_second_factor

if TYPE_CHECKING:
    from community.models import Member


def can_turn_off_second_factor(member: Member) -> bool:
    """Members may turn it off again; whoever moderates keeps it (they may replace it)."""
    return not requires_second_factor(member)


def check_turn_off_second_factor(member: Member) -> None:
    if not can_turn_off_second_factor(member):
        raise PermissionDenied(
            _("You moderate, so two-step verification stays on. You can move it to another app or phone.")
        )


def can_reset_second_factor(actor: Member | None, member: Member) -> bool:
    """The programme team resets another member's second factor (a lost phone); not their
    own (they use their recovery codes, or a colleague resets it)."""
    return is_participant(actor) and actor.is_staff and member.pk != actor.pk and not member.is_former_member


def access_resettable(actor: Member, handle: str) -> Member:
    """A member whose second factor ``actor`` may reset, or 404."""
    from community.models import Member as MemberModel

    member = MemberModel.objects.with_card_data().filter(handle__iexact=handle).first()
    if member is None or not can_reset_second_factor(actor, member):
        raise Http404
    return member
