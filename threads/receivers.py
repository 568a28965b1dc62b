"""The threads app's part of a member's privacy rights (community.signals):
what it holds about a member for their data export, and erasing it when they
delete their account. Posts stay (SPEC F1); what names the member goes.
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q
from django.dispatch import receiver
from django.urls import reverse

from community import signals as community_signals
from threads.models import Draft, Flag, Mark, Mention, Post, PostRevision, ReadState, Thread

QUOTE_CHUNK = 200


@receiver(community_signals.collect_personal_data)
def export_threads_data(sender: Any, member, **kwargs: Any) -> dict[str, Any]:
    posts = list(
        Post.objects.filter(author=member)
        .select_related("thread")
        .prefetch_related("revisions")
        .order_by("created", "pk")
    )
    return {
        "threads_started": [
            {
                "id": t.pk,
                "title": t.title,
                "group": t.group.name,
                "kind": t.kind,
                "created": t.created,
                "url": t.get_absolute_url(),
            }
            for t in Thread.objects.filter(author=member).select_related("group").order_by("created", "pk")
        ],
        "posts": [
            {
                "id": post.pk,
                "thread": post.thread_id,
                "thread_title": post.thread.title,
                "number": post.number,
                "created": post.created,
                "edited": post.edited_at,
                "deleted": post.deleted_at,
                "hidden": post.hidden,
                "hidden_reason": post.hidden_reason,
                "text_markdown": post.body,
                "url": reverse("post_permalink", args=[post.pk]),
                "revisions": [
                    {
                        "number": r.number,
                        "text_markdown": r.body,
                        "title": r.title,
                        "replaced_at": r.created,
                        "by_moderator": r.by_moderator,
                    }
                    for r in sorted(post.revisions.all(), key=lambda r: r.number)
                ],
            }
            for post in posts
        ],
        "useful_marks": [
            {"post": mark.post_id, "thread_title": mark.post.thread.title, "created": mark.created}
            for mark in Mark.objects.filter(member=member).select_related("post__thread").order_by("created", "pk")
        ],
        "flags": [
            {
                "post": flag.post_id,
                "reason": flag.reason,
                "explanation": flag.text,
                "status": flag.status,
                "created": flag.created,
            }
            for flag in Flag.objects.filter(member=member).order_by("created", "pk")
        ],
        "read_positions": [
            {"thread": state.thread_id, "last_read_post": state.last_read_number, "updated": state.updated}
            for state in ReadState.objects.filter(member=member).order_by("thread_id")
        ],
        "drafts": [
            {
                "thread": draft.thread_id,
                "group": draft.group.slug if draft.group_id else None,
                "title": draft.title,
                "text_markdown": draft.body,
                "saved": draft.updated,
            }
            for draft in Draft.objects.filter(member=member).select_related("group").order_by("updated", "pk")
        ],
    }


@receiver(community_signals.account_deleted)
def erase_threads_data(sender: Any, member, former, **kwargs: Any) -> None:
    """Read states and drafts go; posts stay. Other members' posts that @mention the member or
    quote their posts are rewritten so that they no longer carry the name or handle
    (as forum software does when a user is anonymised), and so are the member's own
    posts that contain their name, handle or address; earlier versions included."""
    from threads.actions import render_body

    ReadState.objects.filter(member=member).delete()
    Draft.objects.filter(member=member).delete()
    affected: set[int] = set(Mention.objects.filter(member=member).values_list("post_id", flat=True))
    Mention.objects.filter(member=member).delete()
    own = list(Post.objects.filter(author=member).values_list("pk", flat=True))
    for start in range(0, len(own), QUOTE_CHUNK):
        quotes = reduce(or_, (Q(body__contains=f"[quote=post:{pk}]") for pk in own[start : start + QUOTE_CHUNK]))
        affected |= set(Post.objects.filter(quotes).exclude(author=member).values_list("pk", flat=True))
    for post in Post.objects.filter(pk__in=affected).select_related("author"):
        body = former.scrub(post.body)
        rendered = render_body(author=post.author or member, body=body)
        Post.objects.filter(pk=post.pk).update(
            body=body, html=former.scrub(rendered.html), text=former.scrub(rendered.text)
        )
    # Their own posts stay, but not a signature with their name or address in them.
    naming = Q(body__icontains=former.name) | Q(body__icontains=former.email) | Q(body__icontains=f"@{former.handle}")
    for post in Post.objects.filter(naming, author=member).exclude(pk__in=affected):
        Post.objects.filter(pk=post.pk).update(
            body=former.scrub(post.body), html=former.scrub(post.html), text=former.scrub(post.text)
        )
        affected.add(post.pk)
    affected |= set(PostRevision.objects.filter(naming, post__author=member).values_list("post_id", flat=True))
    for revision in PostRevision.objects.filter(post_id__in=affected):
        PostRevision.objects.filter(pk=revision.pk).update(
            body=former.scrub(revision.body), html=former.scrub(revision.html), title=former.scrub(revision.title)
        )
