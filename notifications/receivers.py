"""Who gets told what: every rule in one place.

Receivers of the domain signals of threads and community. They run inside the
transaction of the action, write notification rows there and schedule the live
pushes for after commit; a rolled-back action leaves no row and sends nothing.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.db.models import Q
from django.dispatch import receiver

from community import signals as community_signals
from community.meetings import signals as meeting_signals
from notifications import actions, live, meetinglive, privacy, push
from notifications.email import signups
from notifications.live import queue_counts_changed
from notifications.models import Notification, Watch
from threads import signals
from threads.models import Flag
from threads.perspectives import signals as perspective_signals

Kind = Notification.Kind


def _watchers(level: int, **target: Any) -> set[int]:
    return set(Watch.objects.filter(level=level, **target).values_list("member_id", flat=True))


@receiver(signals.thread_created)
def on_thread_created(sender: Any, thread, post, mentioned, quoted, **kwargs: Any) -> None:
    actions.watch_by_default(member=thread.author, thread=thread, level=Watch.Level.WATCHING)
    recipients: dict[int, set[str]] = defaultdict(set)
    theme_ids = list(thread.theme_links.values_list("tag_id", flat=True))
    for member_id in set(
        Watch.objects.filter(level=Watch.Level.WATCHING)
        .filter(Q(group_id=thread.group_id) | Q(theme_id__in=theme_ids))
        .values_list("member_id", flat=True)
    ):
        recipients[member_id].add(Kind.NEW_THREAD)
    for member in mentioned:
        recipients[member.pk].add(Kind.MENTIONED)
    for quoted_post in quoted:
        if quoted_post.author_id:
            recipients[quoted_post.author_id].add(Kind.QUOTED)
    actions.notify_about_thread(recipients=recipients, thread=thread, post=post, actor=thread.author)


@receiver(signals.post_created)
def on_post_created(sender: Any, post, mentioned, quoted, **kwargs: Any) -> None:
    thread = post.thread
    actions.watch_by_default(member=post.author, thread=thread, level=Watch.Level.TRACKING)
    recipients: dict[int, set[str]] = defaultdict(set)
    # Watching the thread, or its group, means hearing of every post.
    for member_id in _watchers(Watch.Level.WATCHING, thread_id=thread.pk) | _group_watchers_without_thread_level(
        thread
    ):
        recipients[member_id].add(Kind.POSTED)
    if thread.author_id:
        recipients[thread.author_id].add(Kind.REPLIED)
    for member in mentioned:
        recipients[member.pk].add(Kind.MENTIONED)
    for quoted_post in quoted:
        if quoted_post.author_id:
            recipients[quoted_post.author_id].add(Kind.QUOTED)
    actions.notify_about_thread(recipients=recipients, thread=thread, post=post, actor=post.author)
    live.publish_thread_event(thread.pk, {"type": "thread.post_created", "thread": thread.pk}, post_id=post.pk)


def _group_watchers_without_thread_level(thread) -> set[int]:
    """Members watching the group, unless they set their own level on this thread."""
    own_level = Watch.objects.filter(thread_id=thread.pk).values("member_id")
    return set(
        Watch.objects.filter(group_id=thread.group_id, level=Watch.Level.WATCHING)
        .exclude(member_id__in=own_level)
        .values_list("member_id", flat=True)
    )


@receiver(signals.read_position_moved)
def on_read_position_moved(sender: Any, member, thread, number, **kwargs: Any) -> None:
    """Read means read: the notifications about the posts read so far."""
    actions.mark_thread_read(member=member, thread_id=thread.pk, number=number)


@receiver(signals.post_edited)
def on_post_edited(sender: Any, post, revision, editor, mentioned, **kwargs: Any) -> None:
    recipients = {member.pk: {Kind.MENTIONED} for member in mentioned}
    actions.notify_about_thread(recipients=recipients, thread=post.thread, post=post, actor=editor)
    live.publish_thread_event(
        post.thread_id, {"type": "thread.post_updated", "thread": post.thread_id}, post_id=post.pk
    )


@receiver(signals.post_deleted)
def on_post_deleted(sender: Any, post, actor, **kwargs: Any) -> None:
    live.publish_thread_event(
        post.thread_id, {"type": "thread.post_updated", "thread": post.thread_id}, post_id=post.pk
    )
    if post.hidden or Flag.objects.filter(post=post, status=Flag.Status.OPEN).exists():
        queue_counts_changed([post.thread.group_id])


@receiver(signals.post_hidden)
def on_post_hidden(sender: Any, post, actor, reason, **kwargs: Any) -> None:
    live.publish_thread_event(post.thread_id, {"type": "thread.post_hidden", "thread": post.thread_id}, post_id=post.pk)
    if post.author_id:
        actions.notify_members(
            member_ids=[post.author_id],
            kind=Kind.POST_HIDDEN,
            actor=actor,
            thread=post.thread,
            post=post,
            detail=reason,
        )
    queue_counts_changed([post.thread.group_id])


@receiver(signals.post_unhidden)
def on_post_unhidden(sender: Any, post, actor, **kwargs: Any) -> None:
    live.publish_thread_event(
        post.thread_id, {"type": "thread.post_updated", "thread": post.thread_id}, post_id=post.pk
    )
    queue_counts_changed([post.thread.group_id])


@receiver(signals.answer_accepted)
def on_answer_accepted(sender: Any, thread, post, actor, previous, **kwargs: Any) -> None:
    recipients: dict[int, set[str]] = defaultdict(set)
    for member_id in (thread.author_id, post.author_id):
        if member_id:
            recipients[member_id].add(Kind.ANSWER_ACCEPTED)
    actions.notify_about_thread(recipients=recipients, thread=thread, post=post, actor=actor)
    live.publish_thread_event(
        thread.pk, {"type": "thread.answer_accepted", "thread": thread.pk, "post": post.pk, "number": post.number}
    )


@receiver(signals.post_marked_useful)
def on_post_marked_useful(sender: Any, post, member, **kwargs: Any) -> None:
    actions.notify_useful(post=post, marker=member)


@receiver(community_signals.member_approved)
def on_member_approved(sender: Any, member, actor, **kwargs: Any) -> None:
    actions.notify_member(member=member, kind=Kind.SIGNUP_APPROVED, actor=actor)


@receiver(community_signals.member_rejected)
def on_member_rejected(sender: Any, member, actor, reason, **kwargs: Any) -> None:
    actions.notify_member(member=member, kind=Kind.SIGNUP_REJECTED, actor=actor)


# --- Handelingsperspectieven ------------------------------------------------------------


@receiver(perspective_signals.perspective_published)
def on_perspective_published(sender: Any, perspective, version, actor, cited_member_ids, **kwargs: Any) -> None:
    """Members whose posts are new examples in the published version hear of it, whatever
    their watch levels (it is about their own words)."""
    actions.notify_members(
        member_ids=cited_member_ids,
        kind=Kind.PERSPECTIVE_CITED,
        actor=actor,
        title=version.title,
        detail=perspective.slug,
    )


# --- Moderation ----------------------------------------------------------------------
# Members hear what happened to their own content and account; moderators hear of new
# flags and sign-ups in their scope; the queue counts on /moderation/ follow live.


@receiver(signals.thread_locked)
def on_thread_locked(sender: Any, thread, actor, reason, **kwargs: Any) -> None:
    if thread.author_id:
        actions.notify_members(
            member_ids=[thread.author_id], kind=Kind.THREAD_LOCKED, actor=actor, thread=thread, detail=reason
        )


@receiver(signals.thread_hidden)
def on_thread_hidden(sender: Any, thread, actor, reason, **kwargs: Any) -> None:
    if thread.author_id:
        actions.notify_members(
            member_ids=[thread.author_id], kind=Kind.THREAD_HIDDEN, actor=actor, thread=thread, detail=reason
        )
    queue_counts_changed([thread.group_id])


@receiver(signals.thread_hidden, dispatch_uid="notifications.thread_hidden_live")
def on_thread_hidden_live(sender: Any, thread, **kwargs: Any) -> None:
    """Open pages of the thread hear that it was hidden; only its moderators keep following it."""
    live.publish_thread_event(thread.pk, {"type": "thread.hidden", "thread": thread.pk, "following": True})


@receiver(signals.thread_unhidden)
def on_thread_unhidden(sender: Any, thread, actor, **kwargs: Any) -> None:
    queue_counts_changed([thread.group_id])


@receiver(signals.thread_moved)
def on_thread_moved(sender: Any, thread, actor, source, reason, **kwargs: Any) -> None:
    if thread.author_id:
        detail = f"{thread.group.name}: {reason}" if reason else thread.group.name
        actions.notify_members(
            member_ids=[thread.author_id], kind=Kind.THREAD_MOVED, actor=actor, thread=thread, detail=detail
        )
    queue_counts_changed([source.pk, thread.group_id])


@receiver(signals.thread_moved, dispatch_uid="notifications.thread_moved_live")
def on_thread_moved_live(sender: Any, thread, **kwargs: Any) -> None:
    """Who may read the thread is decided again by its new group."""
    live.publish_thread_event(thread.pk, {"type": "thread.moved", "thread": thread.pk})


@receiver(signals.post_removed)
def on_post_removed(sender: Any, post, actor, reason, **kwargs: Any) -> None:
    if post.author_id:
        actions.notify_members(
            member_ids=[post.author_id],
            kind=Kind.POST_REMOVED,
            actor=actor,
            thread=post.thread,
            post=post,
            detail=reason,
        )


@receiver(signals.post_flagged)
def on_post_flagged(sender: Any, flag, post, hidden, **kwargs: Any) -> None:
    group_id = post.thread.group_id
    actions.notify_members(
        member_ids=actions.moderators_for(group_id=group_id) - {post.author_id},
        kind=Kind.NEW_FLAG,
        actor=flag.member,
        thread=post.thread,
        post=post,
        detail=flag.reason,
    )
    queue_counts_changed([group_id])


@receiver(signals.flags_reviewed)
def on_flags_reviewed(sender: Any, post, flags, outcome, actor, reason, **kwargs: Any) -> None:
    kind = Kind.FLAG_DISMISSED if outcome == "dismiss" else Kind.FLAG_UPHELD
    actions.notify_members(
        member_ids={flag.member_id for flag in flags}, kind=kind, actor=actor, thread=post.thread, post=post
    )
    if outcome == "remove" and post.author_id:
        actions.notify_members(
            member_ids=[post.author_id],
            kind=Kind.POST_REMOVED,
            actor=actor,
            thread=post.thread,
            post=post,
            detail=reason,
        )
    queue_counts_changed([post.thread.group_id])


def _regional_group_id(member) -> int | None:
    from community.models import Group

    if member.municipality_id is None:
        return None
    region_id = member.municipality.region_id
    return Group.objects.filter(kind=Group.Kind.REGION, region_id=region_id).values_list("pk", flat=True).first()


@receiver(community_signals.signup_pending)
def on_signup_pending(sender: Any, member, **kwargs: Any) -> None:
    """The province's ambassadors review the sign-up; where it has none, the programme
    team's members do, and its shared mailbox (SUPPORT_EMAIL) is told too."""
    group_id = _regional_group_id(member)
    ambassadors = actions.group_moderators(group_id=group_id)
    actions.notify_members(
        member_ids=ambassadors or actions.programme_team(),
        kind=Kind.PENDING_MEMBER,
        actor=member,
        title=member.municipality.name if member.municipality_id else "",
    )
    if not ambassadors:
        signups.queue_team_mail(applicant=member)
    queue_counts_changed([group_id])


@receiver(community_signals.member_approved)
def on_member_approved_counts(sender: Any, member, actor, **kwargs: Any) -> None:
    actions.withdraw_notifications(kind=Kind.PENDING_MEMBER, actor_id=member.pk)
    queue_counts_changed([_regional_group_id(member)])


@receiver(community_signals.member_rejected)
def on_member_rejected_counts(sender: Any, member, actor, reason, **kwargs: Any) -> None:
    actions.withdraw_notifications(kind=Kind.PENDING_MEMBER, actor_id=member.pk)
    queue_counts_changed([_regional_group_id(member)])


@receiver(community_signals.member_suspended)
def on_member_suspended(sender: Any, member, actor, until, reason, **kwargs: Any) -> None:
    actions.notify_members(member_ids=[member.pk], kind=Kind.SUSPENDED, actor=actor, detail=reason)
    push.close_member_sockets(member.pk)


@receiver(community_signals.account_deleted)
def on_account_deleted(sender: Any, member, former, **kwargs: Any) -> None:
    privacy.erase_notifications_data(member=member, former=former)
    push.close_member_sockets(member.pk)


# --- Access: whatever changes what a member may read re-decides their open sockets ---------


@receiver(community_signals.member_access_changed)
def on_member_access_changed(sender: Any, member, **kwargs: Any) -> None:
    push.access_changed(member.pk)


@receiver(community_signals.group_access_changed)
def on_group_access_changed(sender: Any, group, **kwargs: Any) -> None:
    """Every socket following a thread of the group decides again (each thread event would
    anyway: this makes those who may no longer read it leave at once)."""
    live.publish_group_access(group.pk)


@receiver(community_signals.sessions_ended)
def on_sessions_ended(sender: Any, member, session_keys, **kwargs: Any) -> None:
    push.close_session_sockets(list(session_keys))


@receiver(user_logged_out, dispatch_uid="notifications.logged_out")
def on_logged_out(sender: Any, request, user, **kwargs: Any) -> None:
    """Logging out closes the sockets of this browser session, not of the member's other devices."""
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        push.close_session_sockets([session_key])


@receiver(community_signals.collect_personal_data)
def on_collect_personal_data(sender: Any, member, **kwargs: Any) -> dict[str, Any]:
    return privacy.export_notifications_data(member=member)


# --- Meetings (community.meetings): invitations, seats, reminders, the live Q&A ------------------


@receiver(meeting_signals.meeting_invited, dispatch_uid="notifications.meeting_invited")
def on_meeting_invited(sender: Any, meeting, member_ids, actor, **kwargs: Any) -> None:
    actions.notify_members(
        member_ids=member_ids, kind=Kind.MEETING_INVITED, actor=actor, title=meeting.title, meeting=meeting
    )


@receiver(meeting_signals.registration_promoted, dispatch_uid="notifications.meeting_seat")
def on_registration_promoted(sender: Any, meeting, registration, **kwargs: Any) -> None:
    actions.notify_members(
        member_ids=[registration.member_id], kind=Kind.MEETING_SEAT, title=meeting.title, meeting=meeting
    )


@receiver(meeting_signals.registration_changed, dispatch_uid="notifications.meeting_registration")
def on_registration_changed(sender: Any, meeting, member, **kwargs: Any) -> None:
    """The member's open live pages decide again whether they may follow the meeting."""
    meetinglive.access_changed(meeting.pk, member.pk)


@receiver(meeting_signals.meeting_reminder_due, dispatch_uid="notifications.meeting_reminder")
def on_meeting_reminder_due(sender: Any, meeting, member_ids, **kwargs: Any) -> None:
    actions.notify_members(member_ids=member_ids, kind=Kind.MEETING_REMINDER, title=meeting.title, meeting=meeting)


@receiver(meeting_signals.report_published, dispatch_uid="notifications.meeting_report")
def on_meeting_report_published(sender: Any, meeting, actor, first, **kwargs: Any) -> None:
    if first:
        registered = meeting.registrations.filter(status="registered").values_list("member_id", flat=True)
        actions.notify_members(
            member_ids=list(registered), kind=Kind.MEETING_REPORT, actor=actor, title=meeting.title, meeting=meeting
        )


@receiver(meeting_signals.meeting_changed, dispatch_uid="notifications.meeting_changed")
def on_meeting_changed(sender: Any, meeting, changed, **kwargs: Any) -> None:
    if "join_url" in changed or "kind" in changed:
        meetinglive.publish_join_link(meeting.pk)


QUESTION_EVENTS = {
    "answering": "meeting.answering",
    "answered": "meeting.answered",
    "merged": "meeting.question_merged",
}


@receiver(meeting_signals.question_added, dispatch_uid="notifications.question_added")
def on_question_added(sender: Any, question, **kwargs: Any) -> None:
    meetinglive.publish_question_event(question.pk, question.meeting_id, "meeting.question_added")


@receiver(meeting_signals.question_voted, dispatch_uid="notifications.question_voted")
def on_question_voted(sender: Any, question, **kwargs: Any) -> None:
    meetinglive.publish_vote(question.meeting_id, question.pk)


@receiver(meeting_signals.question_changed, dispatch_uid="notifications.question_changed")
def on_question_changed(sender: Any, question, change, **kwargs: Any) -> None:
    meetinglive.publish_question_event(
        question.pk, question.meeting_id, QUESTION_EVENTS.get(change, "meeting.question_updated")
    )


@receiver(meeting_signals.question_hidden, dispatch_uid="notifications.question_hidden")
def on_question_hidden(sender: Any, question, actor, reason, **kwargs: Any) -> None:
    if question.author_id:
        actions.notify_members(
            member_ids=[question.author_id], kind=Kind.QUESTION_HIDDEN, actor=actor, title=question.meeting.title,
            detail=reason, meeting=question.meeting,
        )  # fmt: skip
    meetinglive.publish_question_event(question.pk, question.meeting_id, "meeting.question_hidden")
