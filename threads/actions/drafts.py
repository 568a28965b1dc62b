"""Drafts: what a member writes, kept on the server while they type, so that a reply or a
new thread survives a reload, a link clicked by mistake or another device. Removed when
posted (``posting.reply_to_thread`` and ``posting.create_thread``) or thrown away."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import DomainError
from community.models import Group, Member
from threads.actions.posting import MAX_BODY_LENGTH, MAX_TITLE_LENGTH
from threads.models import Draft, Thread


def _place(thread: Thread | None, group: Group | None) -> dict[str, Any]:
    if (thread is None) == (group is None):
        raise ValueError("A draft belongs to a thread (a reply) or to a group (a new thread), not both")
    return {"thread": thread, "group": None} if thread is not None else {"thread": None, "group": group}


@transaction.atomic
def save_draft(
    *, member: Member, body: str, title: str = "", thread: Thread | None = None, group: Group | None = None
) -> Draft | None:
    """Keep what the member is writing in ``thread`` (a reply) or ``group`` (a new thread);
    nothing written (blank text and title) throws the draft away and returns None."""
    place = _place(thread, group)
    if not body.strip() and not title.strip():
        discard_draft(member=member, thread=thread, group=group)
        return None
    if len(body) > MAX_BODY_LENGTH:
        raise DomainError(_("A message can be at most %(limit)d characters long.") % {"limit": MAX_BODY_LENGTH})
    values: dict[str, Any] = {
        "body": body,
        "title": title[:MAX_TITLE_LENGTH] if group is not None else "",
        "updated": timezone.now(),
    }
    draft = Draft.objects.filter(member=member, **place).first()
    if draft is not None:
        for name, value in values.items():
            setattr(draft, name, value)
        draft.save(update_fields=list(values))
        return draft
    try:
        with transaction.atomic():
            draft = Draft.objects.create(member=member, **place, **values)
    except IntegrityError:
        # Two first saves of the same draft at once (two tabs): the other one created it.
        Draft.objects.filter(member=member, **place).update(**values)
        draft = Draft.objects.get(member=member, **place)
    return draft


def discard_draft(*, member: Member, thread: Thread | None = None, group: Group | None = None) -> None:
    """Throw the member's draft in ``thread`` or ``group`` away (one DELETE; none is fine)."""
    Draft.objects.filter(member=member, **_place(thread, group)).delete()
