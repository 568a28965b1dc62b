"""Every write of the meetings app.

Keyword-only, atomic, returning what changed. Authorisation is checked by the caller
(view, command); the rules of the domain (capacity, deadlines, one vote per member and
question) are enforced here with DomainError. Each action sends its domain signal from
inside its transaction (``community/meetings/signals.py``).

- ``meetings``: creating and changing meetings, invitations, the report, the calendar feed;
- ``registrations``: seats and the waiting list (under the meeting's row lock), who came, reminders;
- ``questions``: questions, votes, and what organisers do with them.
"""

from community.meetings.actions.meetings import (
    CALENDAR_FIELDS,
    EDITABLE_FIELDS,
    MAX_THEMES,
    attach_report,
    calendar_feed_of,
    create_meeting,
    invite_groups,
    publish_report,
    renew_calendar_feed,
    update_meeting,
)
from community.meetings.actions.questions import (
    MAX_QUESTION_LENGTH,
    ask_question,
    hide_question,
    mark_answered,
    merge_question,
    select_question,
    start_answering,
    toggle_vote,
    unhide_question,
)
from community.meetings.actions.registrations import (
    cancel_registration,
    record_attendance,
    register,
    release_seats_of,
    reminder_window,
    send_reminders,
)

__all__ = [
    "CALENDAR_FIELDS", "EDITABLE_FIELDS", "MAX_QUESTION_LENGTH", "MAX_THEMES", "ask_question", "attach_report",
    "calendar_feed_of", "cancel_registration", "create_meeting", "hide_question", "invite_groups", "mark_answered",
    "merge_question", "publish_report", "record_attendance", "register", "release_seats_of", "reminder_window",
    "renew_calendar_feed", "select_question", "send_reminders", "start_answering", "toggle_vote", "unhide_question",
    "update_meeting",
]  # fmt: skip
