"""Threads in the programme team's admin. Themes and synonyms are curated here;
threads and posts are changed through the site (so that revisions are kept) or
through steps that call the moderation actions (hide, restore, remove: logged, and
the author told), never edited or deleted in the admin (the counters would lie)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from taggit.models import Tag

from community.adminsteps import Step, StepsAdmin
from community.errors import DomainError
from community.models import Member
from threads import actions
from threads.forms import ReasonForm
from threads.models import Flag, Mark, Mention, Post, PostRevision, ReadState, Synonym, Theme, Thread

# Threads use the curated Theme model; taggit's own free-form tags are not used.
if admin.site.is_registered(Tag):
    admin.site.unregister(Tag)


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by actions: visible to staff, never changed or deleted in the admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def _hide_thread(actor: Member, thread: Thread, data: dict[str, Any]) -> object:
    if thread.hidden:
        raise DomainError(_("This thread is already hidden."))
    return actions.hide_thread(actor=actor, thread=thread, reason=data["reason"])


def _unhide_thread(actor: Member, thread: Thread, data: dict[str, Any]) -> object:
    if not thread.hidden:
        raise DomainError(_("This thread is not hidden."))
    return actions.unhide_thread(actor=actor, thread=thread)


@admin.register(Thread)
class ThreadAdmin(StepsAdmin, ReadOnlyAdmin):
    list_display = [
        "title",
        "group",
        "kind",
        "author",
        "reply_count",
        "useful_count",
        "last_activity_at",
        "pinned",
        "locked",
        "hidden",
    ]
    list_filter = ["kind", "pinned", "locked", "hidden", "group__kind", "group"]
    search_fields = ["title", "author__name", "group__name"]
    date_hierarchy = "created"
    list_select_related = ["group", "author"]
    steps_heading = _("Moderation")
    steps = (
        Step(
            name="hide_selected",
            label=_("Hide the selected threads"),
            title=_("Hide the thread"),
            run=_hide_thread,
            done=ngettext_lazy("%(count)d thread hidden.", "%(count)d threads hidden.", "count"),
            form=ReasonForm,
            explanation=_(
                "Only the moderators of the group and the programme team still see a hidden thread. The author is told the reason."
            ),
            offered=lambda thread: not thread.hidden,
        ),
        Step(
            name="unhide_selected",
            label=_("Make the selected threads visible again"),
            title=_("Make the thread visible again"),
            run=_unhide_thread,
            done=ngettext_lazy("%(count)d thread visible again.", "%(count)d threads visible again.", "count"),
            offered=lambda thread: thread.hidden,
        ),
    )


def _hide_post(actor: Member, post: Post, data: dict[str, Any]) -> object:
    if post.hidden or post.is_deleted:
        raise DomainError(_("This post has already been hidden or deleted."))
    return actions.hide_post(actor=actor, post=post, reason=data["reason"])


def _unhide_post(actor: Member, post: Post, data: dict[str, Any]) -> object:
    if not post.hidden:
        raise DomainError(_("This post is not hidden."))
    return actions.unhide_post(actor=actor, post=post)


def _remove_post(actor: Member, post: Post, data: dict[str, Any]) -> object:
    return actions.remove_post(actor=actor, post=post, reason=data["reason"])


@admin.register(Post)
class PostAdmin(StepsAdmin, ReadOnlyAdmin):
    list_display = ["thread", "number", "author", "created", "edited_at", "useful_count", "hidden", "deleted_at"]
    list_filter = ["hidden", "created"]
    search_fields = ["text", "author__name", "thread__title"]
    list_select_related = ["thread", "author"]
    raw_id_fields = ["thread", "author"]
    steps_heading = _("Moderation")
    steps = (
        Step(
            name="hide_selected",
            label=_("Hide the selected posts"),
            title=_("Hide the post"),
            run=_hide_post,
            done=ngettext_lazy("%(count)d post hidden.", "%(count)d posts hidden.", "count"),
            form=ReasonForm,
            explanation=_(
                "Members see “hidden by a moderator” instead; the author and the moderators still see the post, with your reason."
            ),
            offered=lambda post: not post.hidden and not post.is_deleted,
        ),
        Step(
            name="unhide_selected",
            label=_("Make the selected posts visible again"),
            title=_("Make the post visible again"),
            run=_unhide_post,
            done=ngettext_lazy("%(count)d post visible again.", "%(count)d posts visible again.", "count"),
            offered=lambda post: post.hidden,
        ),
        Step(
            name="remove_selected",
            label=_("Remove the selected posts"),
            title=_("Remove the post"),
            run=_remove_post,
            done=ngettext_lazy("%(count)d post removed.", "%(count)d posts removed.", "count"),
            form=ReasonForm,
            explanation=_(
                "The post keeps its place in the thread and shows as removed. The author is told the reason."
            ),
            offered=lambda post: not post.is_deleted,
        ),
    )


@admin.register(PostRevision)
class PostRevisionAdmin(ReadOnlyAdmin):
    list_display = ["post", "number", "editor", "by_moderator", "created"]
    list_filter = ["by_moderator"]
    search_fields = ["body", "editor__name"]
    raw_id_fields = ["post", "editor"]


@admin.register(Mark)
class MarkAdmin(ReadOnlyAdmin):
    list_display = ["post", "member", "created"]
    search_fields = ["member__name", "post__thread__title"]
    raw_id_fields = ["post", "member"]


@admin.register(Mention)
class MentionAdmin(ReadOnlyAdmin):
    list_display = ["post", "member"]
    search_fields = ["member__name", "member__handle"]
    raw_id_fields = ["post", "member"]


@admin.register(ReadState)
class ReadStateAdmin(ReadOnlyAdmin):
    list_display = ["member", "thread", "last_read_number", "updated"]
    search_fields = ["member__name", "thread__title"]
    raw_id_fields = ["member", "thread"]


@admin.register(Synonym)
class SynonymAdmin(admin.ModelAdmin):
    """Staff keep the search's synonyms here (threads/search/): a search for the term
    also finds the synonyms, and the other way round when "works both ways" is on."""

    list_display = ["term", "synonyms", "mutual"]
    list_filter = ["mutual"]
    search_fields = ["term", "synonyms"]


@admin.register(Flag)
class FlagAdmin(ReadOnlyAdmin):
    """Flags are decided on /moderation/ (so that the post, the log and the flaggers
    follow); here staff only look them up."""

    list_display = ["post", "member", "reason", "status", "created", "reviewed_by", "reviewed_at"]
    list_filter = ["status", "reason", "created"]
    search_fields = ["text", "member__name", "post__thread__title"]
    list_select_related = ["post__thread", "member", "reviewed_by"]
    raw_id_fields = ["post", "member", "reviewed_by"]
