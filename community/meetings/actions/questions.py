"""Questions for a meeting and votes on them; what organisers do with them."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from community.actions import write_log_entry
from community.errors import DomainError
from community.meetings import signals
from community.meetings.models import Meeting, Question, Vote
from community.models import Member, ModerationLogEntry

MAX_QUESTION_LENGTH = 1000

# --- Questions and votes ---------------------------------------------------------------


@transaction.atomic
def ask_question(*, author: Member, meeting: Meeting, text: str, anonymous: bool = False) -> Question:
    text = text.strip()
    if not text:
        raise DomainError(_("Write your question first."))
    if len(text) > MAX_QUESTION_LENGTH:
        raise DomainError(_("A question can be at most %(limit)d characters long.") % {"limit": MAX_QUESTION_LENGTH})
    if timezone.now() >= meeting.ends_at:
        raise DomainError(_("This meeting is over; it takes no more questions."))
    question = Question.objects.create(meeting=meeting, author=author, text=text, anonymous=anonymous)
    signals.question_added.send(sender=None, question=question)
    return question


@transaction.atomic
def toggle_vote(*, member: Member, question: Question) -> tuple[bool, int]:
    """Vote for a question, or take the vote back. Returns (voted now, the question's votes)."""
    current = Question.objects.filter(pk=question.pk).values("hidden", "merged_into_id", "status", "author_id").first()
    if current is None or current["hidden"] or current["merged_into_id"] is not None:
        raise DomainError(_("This question is no longer open for votes."))
    if current["status"] == Question.Status.ANSWERED:
        raise DomainError(_("This question has been answered."))
    if current["author_id"] == member.pk:
        raise DomainError(_("You cannot vote for your own question."))
    deleted, _rows = Vote.objects.filter(question_id=question.pk, member=member).delete()
    if deleted:
        Question.objects.filter(pk=question.pk).update(vote_count=F("vote_count") - 1)
        voted = False
    else:
        Vote.objects.create(question_id=question.pk, member=member)
        Question.objects.filter(pk=question.pk).update(vote_count=F("vote_count") + 1)
        voted = True
    question.vote_count = Question.objects.filter(pk=question.pk).values_list("vote_count", flat=True).get()
    signals.question_voted.send(sender=None, question=question, member=member, voted=voted)
    return voted, question.vote_count


def _change(question: Question, actor: Member, change: str, **fields: object) -> Question:
    for name, value in fields.items():
        setattr(question, name, value)
    question.save(update_fields=list(fields))
    signals.question_changed.send(sender=None, question=question, actor=actor, change=change)
    return question


def _locked_question(question: Question) -> Question:
    locked = Question.objects.select_for_update().get(pk=question.pk)
    if locked.merged_into_id is not None:
        raise DomainError(_("This question was merged into another one."))
    return locked


@transaction.atomic
def select_question(*, actor: Member, question: Question, selected: bool = True) -> Question:
    """Mark a question "will be discussed" (or take the mark away)."""
    question = _locked_question(question)
    if question.status in (Question.Status.ANSWERING, Question.Status.ANSWERED):
        raise DomainError(_("This question is being answered or has been answered."))
    status = Question.Status.SELECTED if selected else Question.Status.OPEN
    return _change(question, actor, "selected" if selected else "unselected", status=status)


@transaction.atomic
def start_answering(*, actor: Member, question: Question) -> Question:
    """ "Now answering": the question the speakers take up now. The one answered before it
    (if any) is marked answered."""
    question = _locked_question(question)
    if question.hidden:
        raise DomainError(_("A hidden question cannot be answered."))
    for previous in (
        Question.objects.select_for_update()
        .filter(meeting_id=question.meeting_id, status=Question.Status.ANSWERING)
        .exclude(pk=question.pk)
    ):
        _change(previous, actor, "answered", status=Question.Status.ANSWERED, answered_at=timezone.now())
    return _change(question, actor, "answering", status=Question.Status.ANSWERING)


@transaction.atomic
def mark_answered(*, actor: Member, question: Question) -> Question:
    question = _locked_question(question)
    return _change(question, actor, "answered", status=Question.Status.ANSWERED, answered_at=timezone.now())


@transaction.atomic
def merge_question(*, actor: Member, question: Question, into: Question) -> Question:
    """Merge a duplicate into another question of the same meeting: its votes (and its
    asker's support) go to that question, which shows them from then on."""
    if question.pk == into.pk or question.meeting_id != into.meeting_id:
        raise DomainError(_("Choose another question of this meeting."))
    question = _locked_question(question)
    into = _locked_question(into)
    if into.hidden:
        raise DomainError(_("Choose a question that is not hidden."))
    voters = set(Vote.objects.filter(question=question).values_list("member_id", flat=True))
    if question.author_id:
        voters.add(question.author_id)
    voters -= set(Vote.objects.filter(question=into).values_list("member_id", flat=True))
    if into.author_id is not None:
        voters.discard(into.author_id)
    Vote.objects.bulk_create(
        [Vote(question=into, member_id=member_id) for member_id in sorted(voters)], ignore_conflicts=True
    )
    into.vote_count = into.votes.count()
    into.save(update_fields=["vote_count"])
    if question.status == Question.Status.SELECTED and into.status == Question.Status.OPEN:
        _change(into, actor, "selected", status=Question.Status.SELECTED)
    _change(question, actor, "merged", merged_into=into)
    signals.question_voted.send(sender=None, question=into, member=actor, voted=True)
    return into


@transaction.atomic
def hide_question(*, actor: Member, question: Question, reason: str) -> Question:
    """Moderation as for posts (SPEC F6): hidden from other members with a reason the
    asker is told, logged in the moderation log."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Give a reason: the member is told why."))
    question = Question.objects.select_for_update(of=("self",)).select_related("meeting", "author").get(pk=question.pk)
    if question.hidden:
        raise DomainError(_("This question is already hidden."))
    question.hidden, question.hidden_reason = True, reason
    question.save(update_fields=["hidden", "hidden_reason"])
    write_log_entry(
        actor=actor, action=ModerationLogEntry.Action.HIDE_QUESTION, member=question.author, target=question,
        label=f"{question.meeting.title}: {question.text[:200]}", reason=reason,
    )  # fmt: skip
    signals.question_hidden.send(sender=None, question=question, actor=actor, reason=reason)
    return question


@transaction.atomic
def unhide_question(*, actor: Member, question: Question) -> Question:
    question = Question.objects.select_for_update(of=("self",)).select_related("meeting", "author").get(pk=question.pk)
    if not question.hidden:
        raise DomainError(_("This question is not hidden."))
    question.hidden, question.hidden_reason = False, ""
    question.save(update_fields=["hidden", "hidden_reason"])
    write_log_entry(
        actor=actor, action=ModerationLogEntry.Action.UNHIDE_QUESTION, member=question.author, target=question,
        label=f"{question.meeting.title}: {question.text[:200]}",
    )  # fmt: skip
    signals.question_changed.send(sender=None, question=question, actor=actor, change="unhidden")
    return question
