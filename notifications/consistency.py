"""Do the stored counters say what the rows say, and does every row point at a row that exists?

Run after a restore (``manage.py check_consistency``, ``deploy/restore.sh``), and at any time:
it only reads. Each check is one query (a correlated count per row, compared in the
database) that returns how many rows disagree and up to ``EXAMPLES`` of them. It lives in the
top app because it reads every app's counters: threads (replies, last post number, nuttig
marks, revisions), notifications (unread count per member) and meetings (seats, waiting list,
votes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, IntegerField, Max, Model, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from community.meetings.models import Meeting, Question, Registration, Vote
from community.models import Member
from notifications.models import Notification
from threads.models import Mark, Post, PostRevision, Thread

EXAMPLES = 10


@dataclass
class Finding:
    check: str
    what: str
    wrong: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.wrong == 0


def _aggregate(model: type[Model], link: str, expression) -> Subquery:
    """One figure per outer row: ``expression`` over the rows of ``model`` whose ``link`` is it (0 if none)."""
    rows = model.objects.filter(**{link: OuterRef("pk")}).order_by().values(link).annotate(figure=expression)
    return Coalesce(Subquery(rows.values("figure")[:1], output_field=IntegerField()), 0)


def _counter(check: str, what: str, queryset: QuerySet, stored: str, actual) -> Finding:
    wrong = queryset.annotate(actual=actual).exclude(**{stored: F("actual")})
    finding = Finding(check, what, wrong.count())
    if finding.wrong:
        finding.examples = [
            f"{row['pk']}: {stored}={row[stored]}, rows say {row['actual']}"
            for row in wrong.order_by("pk").values("pk", stored, "actual")[:EXAMPLES]
        ]
    return finding


def posts_without_thread() -> Finding:
    orphans = Post.objects.filter(~Exists(Thread.objects.filter(pk=OuterRef("thread_id"))))
    finding = Finding("posts_without_thread", "every post's thread exists", orphans.count())
    finding.examples = [
        f"post {row['pk']} -> thread {row['thread_id']}" for row in orphans.values("pk", "thread_id")[:EXAMPLES]
    ]
    return finding


def threads_without_opening_post() -> Finding:
    bare = Thread.objects.filter(~Exists(Post.objects.filter(thread=OuterRef("pk"), number=1)))
    finding = Finding("threads_without_opening_post", "every thread has its opening post", bare.count())
    finding.examples = [f"thread {pk}" for pk in bare.values_list("pk", flat=True)[:EXAMPLES]]
    return finding


CHECKS: list[Callable[[], Finding]] = [
    posts_without_thread,
    threads_without_opening_post,
    lambda: _counter(
        "thread_last_post_number",
        "a thread's last post number is its highest post number",
        Thread.objects.all(),
        "last_post_number",
        _aggregate(Post, "thread", Max("number")),
    ),
    lambda: _counter(
        "thread_reply_count",
        "a thread's reply count is its posts after the opening one that are not deleted",
        Thread.objects.all(),
        "reply_count",
        _aggregate(Post, "thread", Count("pk", filter=Q(number__gt=1, deleted_at__isnull=True))),
    ),
    lambda: _counter(
        "thread_useful_count",
        "a thread's nuttig count is the sum of its posts' nuttig counts",
        Thread.objects.all(),
        "useful_count",
        _aggregate(Post, "thread", Sum("useful_count")),
    ),
    lambda: _counter(
        "post_useful_count",
        "a post's nuttig count is its nuttig marks",
        Post.objects.all(),
        "useful_count",
        _aggregate(Mark, "post", Count("pk")),
    ),
    lambda: _counter(
        "post_revision_count",
        "a post's revision count is its kept revisions",
        Post.objects.all(),
        "revision_count",
        _aggregate(PostRevision, "post", Count("pk")),
    ),
    lambda: _counter(
        "member_unread_notifications",
        "a member's unread count is their unread notifications",
        Member.objects.all(),
        "unread_notifications",
        _aggregate(Notification, "recipient", Count("pk", filter=Q(read_at__isnull=True))),
    ),
    lambda: _counter(
        "meeting_registered_count",
        "a meeting's seats taken are its registrations",
        Meeting.objects.all(),
        "registered_count",
        _aggregate(Registration, "meeting", Count("pk", filter=Q(status=Registration.Status.REGISTERED))),
    ),
    lambda: _counter(
        "meeting_waiting_count",
        "a meeting's waiting list is its waiting registrations",
        Meeting.objects.all(),
        "waiting_count",
        _aggregate(Registration, "meeting", Count("pk", filter=Q(status=Registration.Status.WAITING))),
    ),
    lambda: _counter(
        "question_vote_count",
        "a meeting question's vote count is its votes",
        Question.objects.all(),
        "vote_count",
        _aggregate(Vote, "question", Count("pk")),
    ),
]


def check_consistency() -> list[Finding]:
    return [check() for check in CHECKS]
