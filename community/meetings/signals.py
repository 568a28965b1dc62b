"""Domain signals of the meetings app, sent by its actions inside their transaction.

Every signal is sent with ``sender=None`` and keyword arguments only. Receivers live
higher up: ``notifications`` tells members (rows, e-mail, live pushes after commit) and
``threads`` opens the follow-up thread of a report. This app imports neither.
"""

from django.dispatch import Signal

# meeting, member_ids (set of int: newly invited), actor
meeting_invited = Signal()
# meeting, registration (now registered), was_waiting (bool): a seat went to someone on the waiting list
registration_promoted = Signal()
# meeting, member, registration, actor: a registration became active, moved to the waiting list or
# ended; whoever may follow the meeting live is decided again
registration_changed = Signal()
# meeting, member_ids (list of int): the day-before reminder is due for these registered members
meeting_reminder_due = Signal()
# meeting, actor, changed (list of field names): the meeting's details changed
meeting_changed = Signal()
# meeting, actor, group_id (the group where the follow-up thread opens), first (bool: first publication)
report_published = Signal()

# --- Questions ---------------------------------------------------------------------
# question
question_added = Signal()
# question, member, voted (bool: a vote added, False: taken back)
question_voted = Signal()
# question, actor, change: one of "selected", "unselected", "answering", "answered", "merged",
# "unhidden"; for "merged" also ``target`` (the question it joined)
question_changed = Signal()
# question, actor, reason
question_hidden = Signal()
