"""Notification e-mails rendered when they are due, not when they are queued.

The worker (``outbox.send_claimed``) hands its claimed rows that hold ``content``
here, a batch at a time: the members, posts, threads, read positions and meetings
of the whole batch are loaded in a few queries, then each e-mail is rendered in
its member's language. A row that holds nothing the member has not read on the
site (or can still read) is left out: the outbox marks it skipped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.text import Truncator
from django.utils.translation import ngettext

from community.models import Member
from notifications.email.meetings import bulk_meeting_context, meeting_excerpt
from notifications.email.preferences import kind_label
from notifications.email.unsubscribe import kind_scope, list_headers, list_id, mail_domain, unsubscribe_url
from notifications.models import Notification, OutboxMessage
from notifications.texts import describe, target_url
from threads.models import Mention, Post, ReadState, Thread
from threads.permissions import readers_q

EXCERPT_WORDS = 80
BUNDLE_POSTS = 30  # at most this many posts in one e-mail; the link leads to the rest
BUNDLE_KIND = "thread_bundle"

Rendered = tuple[str, str, str, dict[str, str]]


def render_rows(rows: Sequence[OutboxMessage]) -> dict[int, Rendered]:
    """{row id: (subject, text, html, headers)} for the rows that are to be sent."""
    members = {m.pk: m for m in Member.objects.filter(pk__in={r.recipient_id for r in rows if r.recipient_id})}
    rows = [r for r in rows if r.recipient_id in members]
    bundles = [r for r in rows if r.kind == BUNDLE_KIND]
    singles = [r for r in rows if r.kind != BUNDLE_KIND]
    thread_ids = {r.content.get("thread") for r in rows if r.content.get("thread")}
    read_upto = {
        (member_id, thread_id): number
        for member_id, thread_id, number in ReadState.objects.filter(
            member_id__in=members, thread_id__in=thread_ids
        ).values_list("member_id", "thread_id", "last_read_number")
    }
    rendered: dict[int, Rendered] = {}
    rendered.update(_render_singles(singles, members, read_upto))
    rendered.update(_render_bundles(bundles, members, read_upto))
    return rendered


def _headers(unsubscribe: str, thread_id: int | None) -> dict[str, str]:
    headers = {
        **list_headers(unsubscribe),
        "List-Id": list_id("notifications"),
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
    }
    if thread_id is not None:
        # Mail programs group the e-mails about one thread into a conversation.
        headers["References"] = f"<thread.{thread_id}@{mail_domain()}>"
    return headers


def _common(member: Member, kind: str) -> dict[str, Any]:
    """What every notification e-mail says at its foot (the unsubscribe link signed once)."""
    return {
        "member": member,
        "kind_label": kind_label(kind),
        "preferences_link": settings.SITE_URL + reverse("email_settings"),
        "unsubscribe_link": unsubscribe_url(member.pk, kind_scope(kind)),
        "site_url": settings.SITE_URL,
        "site_name": settings.SITE_NAME,
    }


# --- One notification, one e-mail ------------------------------------------------------------


def _render_singles(
    rows: Sequence[OutboxMessage], members: dict[int, Member], read_upto: dict[tuple[int, int], int]
) -> dict[int, Rendered]:
    if not rows:
        return {}
    read_ids = set(
        Notification.objects.filter(
            pk__in=[r.content.get("notification") for r in rows if r.content.get("unless_read")],
            read_at__isnull=False,
        ).values_list("pk", flat=True)
    )
    notifications: dict[int, Notification] = {}
    for row in rows:
        c = row.content
        if c.get("unless_read") and (
            c.get("notification") in read_ids
            or (
                c.get("thread") and c.get("number") and read_upto.get((row.recipient_id, c["thread"]), 0) >= c["number"]
            )
        ):
            continue
        notifications[row.pk] = Notification(
            pk=c.get("notification"), recipient_id=row.recipient_id, kind=c.get("kind", row.kind),
            actor_name=c.get("actor_name", ""), title=c.get("title", ""), detail=c.get("detail", ""),
            count=c.get("count", 1), thread_id=c.get("thread"), post_id=c.get("post"), meeting_id=c.get("meeting"),
            last_number=c.get("number"),
        )  # fmt: skip
    post_ids = {n.post_id for n in notifications.values() if n.post_id}
    posts = {p.pk: p for p in Post.objects.filter(pk__in=post_ids).only("pk", "thread_id", "number", "text")}
    meetings, registrations = bulk_meeting_context(list(notifications.values()))
    rendered: dict[int, Rendered] = {}
    for row in rows:
        notification = notifications.get(row.pk)
        if notification is None:
            continue
        member = members[row.recipient_id]
        post = posts.get(notification.post_id) if notification.post_id else None
        meeting = meetings.get(notification.meeting_id) if notification.meeting_id else None
        with translation.override(member.language or settings.LANGUAGE_CODE):
            headline = describe(notification)
            excerpt = Truncator(post.text).words(EXCERPT_WORDS) if post is not None and post.text else ""
            if meeting is not None:
                excerpt = meeting_excerpt(meeting, member, registrations.get((meeting.pk, member.pk)))
            common = _common(member, notification.kind)
            context = {
                **common,
                "notification": notification,
                "headline": headline,
                "excerpt": excerpt,
                "link": settings.SITE_URL + target_url(notification),
            }
            text = render_to_string("emails/notifications/notification.txt", context)
            html = render_to_string("emails/notifications/notification.html", context)
        rendered[row.pk] = (headline, text, html, _headers(common["unsubscribe_link"], notification.thread_id))
    return rendered


# --- A thread's posts of the window, one e-mail ------------------------------------------------


def _render_bundles(
    rows: Sequence[OutboxMessage], members: dict[int, Member], read_upto: dict[tuple[int, int], int]
) -> dict[int, Rendered]:
    """Each bundle: the visible posts of its thread from its first one, that the member
    did not write, has not read on the site, and was not mentioned in (that has its own
    e-mail); nothing when the member may no longer read the thread."""
    if not rows:
        return {}
    starts: dict[int, int] = {}
    for row in rows:
        thread_id, start = row.content["thread"], row.content.get("from", 1)
        starts[thread_id] = min(start, starts.get(thread_id, start))
    threads = {t.pk: t for t in Thread.objects.filter(pk__in=starts).select_related("group")}
    readers = {
        thread_id: set(
            Member.objects.filter(pk__in={r.recipient_id for r in rows if r.content["thread"] == thread_id})
            .filter(readers_q(thread))
            .values_list("pk", flat=True)
        )
        for thread_id, thread in threads.items()
    }
    by_thread: dict[int, list[Post]] = defaultdict(list)
    wanted = Q()
    for thread_id, start in starts.items():
        wanted |= Q(thread_id=thread_id, number__gte=start)
    for post in (
        Post.objects.filter(wanted, deleted_at__isnull=True, hidden=False)
        .select_related("author")
        .only("pk", "thread_id", "number", "text", "author__name", "created")
        .order_by("thread_id", "number")
    ):
        by_thread[post.thread_id].append(post)
    mentioned = set(
        Mention.objects.filter(
            member_id__in=members, post__thread_id__in=starts, post__number__gte=min(starts.values())
        ).values_list("member_id", "post_id")
    )
    rendered: dict[int, Rendered] = {}
    for row in rows:
        member = members[row.recipient_id]
        thread = threads.get(row.content["thread"])
        if thread is None or member.pk not in readers.get(thread.pk, set()):
            continue
        seen = max(read_upto.get((member.pk, thread.pk), 0), row.content.get("from", 1) - 1)
        posts = [
            p
            for p in by_thread[thread.pk]
            if p.number > seen and p.author_id != member.pk and (member.pk, p.pk) not in mentioned
        ]
        if not posts:
            continue
        kind = (row.content.get("kinds") or [Notification.Kind.POSTED])[0]
        with translation.override(member.language or settings.LANGUAGE_CODE):
            values = {"count": len(posts), "title": thread.title}
            if kind == Notification.Kind.REPLIED:
                subject = (
                    ngettext("%(count)d new reply in “%(title)s”", "%(count)d new replies in “%(title)s”", len(posts))
                    % values
                )
            else:
                subject = (
                    ngettext("%(count)d new post in “%(title)s”", "%(count)d new posts in “%(title)s”", len(posts))
                    % values
                )
            items = [
                {
                    "author": p.author.name if p.author else "",
                    "number": p.number,
                    "excerpt": Truncator(p.text).words(EXCERPT_WORDS),
                    "link": settings.SITE_URL + reverse("post_permalink", args=[p.pk]),
                }
                for p in posts[:BUNDLE_POSTS]
            ]
            common = _common(member, kind)
            context = {
                **common,
                "headline": subject,
                "posts": items,
                "more": len(posts) - len(items),
                "link": items[0]["link"],
                "thread_link": settings.SITE_URL + thread.get_absolute_url(),
            }
            text = render_to_string("emails/notifications/bundle.txt", context)
            html = render_to_string("emails/notifications/bundle.html", context)
        rendered[row.pk] = (subject, text, html, _headers(common["unsubscribe_link"], thread.pk))
    return rendered
