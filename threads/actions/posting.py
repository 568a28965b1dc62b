"""Writing: threads, replies, edits, deletion, the accepted answer, "nuttig" marks, read
positions and themes.

Keyword-only, atomic, returning what changed. Authorisation is checked by the caller; the
rules of the domain (a locked thread takes no reply, one "nuttig" per member and post, ...)
are enforced here with DomainError. Counters move with F() inside the transaction, and each
action sends its domain signal from inside that transaction."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from community.actions import write_log_entry
from community.errors import DomainError
from community.models import Group, Member, ModerationLogEntry
from community.permissions import may_moderate
from threads import permissions, signals
from threads.markup import MentionTarget, QuoteSource, Rendered, render_markdown, render_title
from threads.models import Draft, Mark, Mention, Post, PostRevision, ReadState, Theme, Thread

MIN_THEMES, MAX_THEMES = 1, 5
MAX_BODY_LENGTH = 30_000
MAX_TITLE_LENGTH = 200


def _post_label(post: Post) -> str:
    return f"#{post.number} · {post.thread.title}"


def render_body(*, author: Member, body: str) -> Rendered:
    """Markdown to safe HTML, resolving @mentions of approved members and quotes
    of posts the author may read, each in one query."""

    def find_members(handles: set[str]) -> dict[str, MentionTarget]:
        members = Member.objects.approved().filter(handle__in=handles).only("handle", "name")
        return {
            m.handle.lower(): MentionTarget(handle=m.handle, url=m.get_absolute_url(), name=m.name) for m in members
        }

    def find_posts(ids: set[int]) -> dict[int, QuoteSource]:
        posts = Post.objects.filter(pk__in=ids, deleted_at__isnull=True, hidden=False).select_related(
            "thread__group", "author"
        )
        return {
            p.pk: QuoteSource(
                post_id=p.pk,
                author_name=p.author.name if p.author else _("former member"),
                url=reverse("post_permalink", args=[p.pk]),
            )
            for p in posts
            if permissions.can_read_thread(author, p.thread)
        }

    # Stored HTML (the "wrote:" above quotes) is written in the site's language.
    with translation.override(settings.LANGUAGE_CODE):
        return render_markdown(body, find_members=find_members, find_posts=find_posts)


def _check_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise DomainError(_("Write a message first."))
    if len(body) > MAX_BODY_LENGTH:
        raise DomainError(_("A message can be at most %(limit)d characters long.") % {"limit": MAX_BODY_LENGTH})
    return body


def _check_title(title: str) -> str:
    title = render_title(title)
    if len(title) < 5:
        raise DomainError(_("Give the thread a title of at least 5 characters."))
    return title[:MAX_TITLE_LENGTH]


def _check_themes(themes: Sequence[Theme]) -> list[Theme]:
    themes = list(dict.fromkeys(themes))
    if not MIN_THEMES <= len(themes) <= MAX_THEMES:
        raise DomainError(_("Choose between %(min)d and %(max)d themes.") % {"min": MIN_THEMES, "max": MAX_THEMES})
    return themes


def _save_mentions(post: Post, rendered: Rendered, *, exclude: Collection[int] = frozenset()) -> list[Member]:
    """Mention rows for members named in the post; returns the ones that are new."""
    members = list(Member.objects.filter(handle__in=rendered.mentioned_handles).exclude(pk__in=exclude))
    existing = set(Mention.objects.filter(post=post).values_list("member_id", flat=True))
    new = [m for m in members if m.pk not in existing]
    Mention.objects.bulk_create([Mention(post=post, member=m) for m in new], ignore_conflicts=True)
    return new


def _quoted_posts(rendered: Rendered) -> list[Post]:
    if not rendered.quoted_post_ids:
        return []
    return list(Post.objects.filter(pk__in=rendered.quoted_post_ids).select_related("author"))


def sent_before(author: Member, request_key: Any) -> Post | None:
    """The post ``author`` made with the form that carried ``request_key``, if there is one."""
    if request_key is None:
        return None
    return Post.objects.filter(author=author, request_key=request_key).select_related("thread").first()


def create_thread(
    *,
    author: Member,
    group: Group,
    title: str,
    kind: str,
    body: str,
    themes: Sequence[Theme],
    request_key: Any = None,
) -> Thread:
    """Start a thread with its opening post (number 1). A form sent again (the same
    ``request_key``) gets the thread it started the first time."""
    try:
        return _create_thread(
            author=author, group=group, title=title, kind=kind, body=body, themes=themes, request_key=request_key
        )
    except IntegrityError:
        earlier = sent_before(author, request_key)
        if earlier is None:
            raise
        return earlier.thread


@transaction.atomic
def _create_thread(
    *, author: Member, group: Group, title: str, kind: str, body: str, themes: Sequence[Theme], request_key: Any
) -> Thread:
    title = _check_title(title)
    body = _check_body(body)
    themes = _check_themes(themes)
    if kind not in Thread.Kind.values:
        raise DomainError(_("Choose what kind of thread this is."))
    if kind == Thread.Kind.ANNOUNCEMENT and not permissions.can_post_announcement(author, group):
        raise DomainError(_("Only moderators post announcements."))
    now = timezone.now()
    thread = Thread.objects.create(
        group=group,
        title=title,
        slug=slugify(title)[:80] or "onderwerp",
        kind=kind,
        author=author,
        created=now,
        last_post_number=1,
        last_activity_at=now,
        last_poster=author,
    )
    thread.themes.set(themes)
    rendered = render_body(author=author, body=body)
    post = Post.objects.create(
        thread=thread, number=1, author=author, body=body, html=rendered.html, text=rendered.text, created=now,
        request_key=request_key,
    )  # fmt: skip
    mentioned = _save_mentions(post, rendered, exclude={author.pk})
    ReadState.objects.create(member=author, thread=thread, last_read_number=1, updated=now)
    # What was drafted for a new thread in this group is posted now.
    Draft.objects.filter(member=author, group=group, thread__isnull=True).delete()
    signals.thread_created.send(
        sender=None, thread=thread, post=post, mentioned=mentioned, quoted=_quoted_posts(rendered)
    )
    return thread


def reply_to_thread(*, author: Member, thread: Thread, body: str, request_key: Any = None) -> Post:
    """Add a post at the end of a thread.

    The UPDATE that takes the next number locks the thread row until commit, so
    concurrent replies get consecutive numbers (SQLite serialises writers anyway).
    A form sent again (the same ``request_key``) gets the post it made the first time:
    the unique key refuses the second row, so the usual case costs no extra query.
    """
    try:
        return _reply_to_thread(author=author, thread=thread, body=body, request_key=request_key)
    except IntegrityError:
        earlier = sent_before(author, request_key)
        if earlier is None:
            raise
        return earlier


@transaction.atomic
def _reply_to_thread(*, author: Member, thread: Thread, body: str, request_key: Any) -> Post:
    body = _check_body(body)
    current = Thread.objects.filter(pk=thread.pk).values("locked", "hidden", "group_id").first()
    if current is None:
        raise DomainError(_("This thread no longer exists."))
    if (current["locked"] or current["hidden"]) and not may_moderate(
        author, "reply_when_closed", group_id=current["group_id"]
    ):
        raise DomainError(_("This thread is closed; it takes no new replies."))
    rendered = render_body(author=author, body=body)
    now = timezone.now()
    Thread.objects.filter(pk=thread.pk).update(
        last_post_number=F("last_post_number") + 1,
        reply_count=F("reply_count") + 1,
        last_activity_at=now,
        last_poster=author,
    )
    number = Thread.objects.filter(pk=thread.pk).values_list("last_post_number", flat=True).get()
    post = Post.objects.create(
        thread=thread, number=number, author=author, body=body, html=rendered.html, text=rendered.text, created=now,
        request_key=request_key,
    )  # fmt: skip
    ReadState.objects.bulk_create(
        [ReadState(member=author, thread=thread, last_read_number=number, updated=now)],
        update_conflicts=True,
        unique_fields=["member", "thread"],
        update_fields=["last_read_number", "updated"],
    )
    thread.last_post_number, thread.last_activity_at, thread.last_poster = number, now, author
    thread.reply_count = number - 1
    # The draft of this reply is posted now (one DELETE, also when there is none).
    Draft.objects.filter(member=author, thread=thread).delete()
    signals.read_position_moved.send(sender=None, member=author, thread=thread, number=number)
    mentioned = _save_mentions(post, rendered, exclude={author.pk})
    signals.post_created.send(sender=None, post=post, mentioned=mentioned, quoted=_quoted_posts(rendered))
    return post


@transaction.atomic
def edit_post(*, editor: Member, post: Post, body: str, title: str | None = None, reason: str = "") -> Post:
    """Replace a post's text, keeping the earlier text as a revision.

    ``title`` changes the thread's title too (opening post only). An edit by
    someone other than the author is a moderator edit: marked on the revision and
    written to the moderation log, with ``reason``.
    """
    body = _check_body(body)
    post = Post.objects.select_for_update(of=("self",)).select_related("thread__group").get(pk=post.pk)
    if post.is_deleted:
        raise DomainError(_("A deleted post cannot be edited."))
    thread = post.thread
    new_title = _check_title(title) if (title is not None and post.is_opening) else thread.title
    if body == post.body and new_title == thread.title:
        return post
    revision = PostRevision.objects.create(
        post=post,
        number=post.revision_count + 1,
        body=post.body,
        html=post.html,
        title=thread.title if post.is_opening else "",
        editor=editor,
        by_moderator=editor.pk != post.author_id,
    )
    rendered = render_body(author=post.author or editor, body=body)
    post.body, post.html, post.text = body, rendered.html, rendered.text
    post.edited_at = timezone.now()
    post.revision_count = F("revision_count") + 1
    post.save(update_fields=["body", "html", "text", "edited_at", "revision_count"])
    post.refresh_from_db(fields=["revision_count"])
    if new_title != thread.title:
        thread.title, thread.slug = new_title, slugify(new_title)[:80] or "onderwerp"
        thread.save(update_fields=["title", "slug"])
    mentioned = _save_mentions(post, rendered, exclude={post.author_id} if post.author_id else set())
    if revision.by_moderator:
        write_log_entry(
            actor=editor,
            action=ModerationLogEntry.Action.EDIT_POST,
            target=post,
            member=post.author,
            group=thread.group,
            label=_post_label(post),
            reason=reason.strip(),
        )
    signals.post_edited.send(sender=None, post=post, revision=revision, editor=editor, mentioned=mentioned)
    return post


@transaction.atomic
def delete_post(*, actor: Member, post: Post) -> Post:
    """Soft delete: the post keeps its number (pages stay put) and shows as deleted."""
    post = Post.objects.select_for_update().select_related("thread").get(pk=post.pk)
    if post.is_deleted:
        return post
    post.deleted_at = timezone.now()
    post.save(update_fields=["deleted_at"])
    thread_updates: dict[str, Any] = {}
    if not post.is_opening:
        thread_updates["reply_count"] = F("reply_count") - 1
    if post.thread.accepted_post_id == post.pk:
        thread_updates["accepted_post"] = None
    if thread_updates:
        Thread.objects.filter(pk=post.thread_id).update(**thread_updates)
    signals.post_deleted.send(sender=None, post=post, actor=actor)
    return post


@transaction.atomic
def accept_answer(*, actor: Member, thread: Thread, post: Post) -> Thread:
    """Mark one reply of a question as its answer, replacing an earlier choice."""
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    if thread.kind != Thread.Kind.QUESTION:
        raise DomainError(_("Only questions have an accepted answer."))
    if post.thread_id != thread.pk or post.is_opening or not post.is_visible:
        raise DomainError(_("Choose a visible reply in this thread as the answer."))
    previous_id = thread.accepted_post_id
    if previous_id == post.pk:
        return thread
    thread.accepted_post = post
    thread.save(update_fields=["accepted_post"])
    previous = Post.objects.filter(pk=previous_id).first() if previous_id else None
    signals.answer_accepted.send(sender=None, thread=thread, post=post, actor=actor, previous=previous)
    return thread


@transaction.atomic
def unaccept_answer(*, actor: Member, thread: Thread) -> Thread:
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    if thread.accepted_post_id is None:
        return thread
    post = thread.accepted_post
    thread.accepted_post = None
    thread.save(update_fields=["accepted_post"])
    signals.answer_unaccepted.send(sender=None, thread=thread, post=post, actor=actor)
    return thread


@transaction.atomic
def mark_useful(*, member: Member, post: Post) -> Mark:
    """One "nuttig" per member and post, never on one's own post."""
    if post.author_id == member.pk:
        raise DomainError(_("You cannot mark your own post as useful."))
    if not post.is_visible:
        raise DomainError(_("This post can no longer be marked."))
    try:
        with transaction.atomic():
            mark = Mark.objects.create(post=post, member=member)
    except IntegrityError as error:
        raise DomainError(_("You have already marked this post as useful.")) from error
    Post.objects.filter(pk=post.pk).update(useful_count=F("useful_count") + 1)
    Thread.objects.filter(pk=post.thread_id).update(useful_count=F("useful_count") + 1)
    signals.post_marked_useful.send(sender=None, post=post, member=member)
    return mark


@transaction.atomic
def unmark_useful(*, member: Member, post: Post) -> None:
    deleted, _rows = Mark.objects.filter(post=post, member=member).delete()
    if deleted:
        Post.objects.filter(pk=post.pk).update(useful_count=F("useful_count") - 1)
        Thread.objects.filter(pk=post.thread_id).update(useful_count=F("useful_count") - 1)


def mark_read(*, member: Member, thread: Thread, number: int, known: int | None) -> None:
    """Remember that the member has read up to post ``number``.

    ``known`` is the read position the page already loaded (None when there is
    none): a page view writes once when it shows something new, never otherwise.
    One upsert, no read-before-write; ``read_position_moved`` is sent in the same
    transaction (the notifications about those posts are read with it). No
    savepoint: the upsert and what the receivers write stand or fall together.
    """
    number = min(number, thread.last_post_number)
    if known is not None and number <= known:
        return
    with transaction.atomic(savepoint=False):
        ReadState.objects.bulk_create(
            [ReadState(member=member, thread=thread, last_read_number=number, updated=timezone.now())],
            update_conflicts=True,
            unique_fields=["member", "thread"],
            update_fields=["last_read_number", "updated"],
        )
        signals.read_position_moved.send(sender=None, member=member, thread=thread, number=number)


def ensure_themes(names: Sequence[str]) -> list[Theme]:
    """Create the staff-curated themes that do not exist yet (used by the data migration and seeding)."""
    themes = []
    for name in names:
        theme, _created = Theme.objects.get_or_create(slug=slugify(name), defaults={"name": name})
        themes.append(theme)
    return themes
