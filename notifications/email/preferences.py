"""What a member wants by e-mail, with the defaults for those who chose nothing.

Reads only; the writes are in ``notifications.email.actions``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ObjectDoesNotExist
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from notifications.models import EmailPreference, Notification

Kind = Notification.Kind
Delivery = EmailPreference.Delivery
Frequency = EmailPreference.Frequency
Mode = EmailPreference.Mode
DEFAULT_MODE = Mode.BUNDLED

# Sign-up decisions have their own e-mail (community.emails), sent whatever the preferences.
NOT_BY_NOTIFICATION_EMAIL = frozenset({Kind.SIGNUP_APPROVED, Kind.SIGNUP_REJECTED})
# Kinds only moderators (and staff) receive: their page shows these, nobody else's does.
# (Named by value, so that this module does not depend on which moderation kinds exist.)
MODERATOR_KINDS = frozenset({"new_flag", "pending_member"})
# Immediately by default: what is said to or about you (mentions, quotes, replies to your
# thread, a moderator acting on your content or account) and the moderators' queues, where
# somebody waits for an answer. Everything else goes to the weekly digest.
IMMEDIATE_BY_DEFAULT = frozenset(
    {
        Kind.MENTIONED,
        Kind.QUOTED,
        Kind.REPLIED,
        "perspective_cited",
        "post_hidden",
        "post_removed",
        "thread_hidden",
        "thread_locked",
        "thread_moved",
        "suspended",
        "new_flag",
        "pending_member",
        "meeting_invited",
        "meeting_seat",
        "meeting_reminder",
        "question_hidden",
    }
)
DEFAULT_DIGEST = Frequency.WEEKLY

# How the preferences page and the unsubscribe page name each kind (a kind without a
# label here is named by its label on the Notification model).
KIND_LABELS: dict[str, Promise] = {
    Kind.MENTIONED: _("Someone mentions you"),
    Kind.QUOTED: _("Someone quotes or replies to your post"),
    Kind.REPLIED: _("Someone replies to your thread"),
    Kind.POSTED: _("New posts in threads you watch"),
    Kind.NEW_THREAD: _("New threads in groups and themes you watch"),
    Kind.ANSWER_ACCEPTED: _("An answer is accepted in your question, or your answer is accepted"),
    Kind.USEFUL: _("Your post is marked useful"),
    "perspective_cited": _("Your post is an example in a handelingsperspectief"),
    "post_hidden": _("A moderator hides your post"),
    "post_removed": _("A moderator removes your post"),
    "thread_hidden": _("A moderator hides your thread"),
    "thread_locked": _("A moderator closes your thread"),
    "thread_moved": _("Your thread is moved to another group"),
    "suspended": _("Your account is suspended"),
    "flag_upheld": _("A moderator agrees with your flag"),
    "flag_dismissed": _("A moderator disagrees with your flag"),
    "new_flag": _("A post in a group you moderate is flagged"),
    "pending_member": _("A new sign-up waits for your review"),
    "meeting_invited": _("You are invited to a meeting"),
    "meeting_seat": _("A seat becomes free for you at a meeting"),
    "meeting_reminder": _("The day before a meeting you registered for"),
    "meeting_report": _("The report of a meeting you registered for"),
    "question_hidden": _("An organiser hides your question for a meeting"),
}


def email_kinds() -> list[str]:
    """The notification kinds a member chooses e-mail for, in the model's order
    (a kind added later appears on the preferences page by itself)."""
    return [kind for kind in Kind.values if kind not in NOT_BY_NOTIFICATION_EMAIL]


def email_kinds_for(member) -> list[str]:
    """The kinds on this member's preferences page: the moderators' kinds only for moderators."""
    is_moderator = member.is_staff or bool(member.roles.moderated_group_ids)
    return [kind for kind in email_kinds() if is_moderator or kind not in MODERATOR_KINDS]


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind) or Kind(kind).label)


def default_delivery(kind: str) -> str:
    return Delivery.IMMEDIATELY if kind in IMMEDIATE_BY_DEFAULT else Delivery.DIGEST


@dataclass(frozen=True)
class EmailSettings:
    """A member's effective choices: their own where they made one, the defaults elsewhere."""

    kinds: dict[str, str] = field(default_factory=dict)
    digest: str = DEFAULT_DIGEST
    mode: str = DEFAULT_MODE

    def chosen(self, kind: str) -> str:
        """The choice for the kind on the preferences page (whatever the mode)."""
        if kind in NOT_BY_NOTIFICATION_EMAIL:
            return Delivery.NEVER
        chosen = self.kinds.get(kind)
        return chosen if chosen in Delivery.values else default_delivery(kind)

    def delivery(self, kind: str) -> str:
        """How the kind reaches the member, the mode applied: "only the summary" puts
        the immediate kinds in the digest, "never" sends nothing."""
        chosen = self.chosen(kind)
        if self.mode == Mode.NEVER:
            return Delivery.NEVER
        if self.mode == Mode.SUMMARY and chosen == Delivery.IMMEDIATELY:
            return Delivery.DIGEST
        return chosen

    @property
    def is_bundled(self) -> bool:
        return self.mode == Mode.BUNDLED

    @property
    def digest_frequency(self) -> str:
        return Frequency.OFF if self.mode == Mode.NEVER else self.digest

    def as_choices(self, kinds: Iterable[str] | None = None) -> dict[str, str]:
        return {kind: self.chosen(kind) for kind in (email_kinds() if kinds is None else kinds)}


DEFAULTS = EmailSettings()


def settings_from_row(row: EmailPreference | None) -> EmailSettings:
    if row is None:
        return DEFAULTS
    return EmailSettings(kinds=dict(row.kinds or {}), digest=row.digest, mode=row.mode or DEFAULT_MODE)


def settings_of(member) -> EmailSettings:
    """From ``member.email_preference`` (select_related it for lists: no query then)."""
    try:
        row = member.email_preference
    except ObjectDoesNotExist:
        row = None
    return settings_from_row(row)


def bulk_settings(member_ids: Iterable[int]) -> dict[int, EmailSettings]:
    """Effective settings of many members in one query."""
    ids = set(member_ids)
    rows = {row.member_id: row for row in EmailPreference.objects.filter(member_id__in=ids)} if ids else {}
    return {member_id: settings_from_row(rows.get(member_id)) for member_id in ids}
