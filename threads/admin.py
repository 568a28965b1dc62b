"""Threads in the programme team's admin. Themes are curated here; posts are
changed through the site (so that revisions are kept), not edited in the admin."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from taggit.models import Tag

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
    """Rows written by actions: visible to staff, never changed in the admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Thread)
class ThreadAdmin(ReadOnlyAdmin):
    list_display = ["title", "group", "kind", "author", "reply_count", "useful_count", "last_activity_at", "pinned", "locked", "hidden"]
    list_filter = ["kind", "pinned", "locked", "hidden", "group__kind", "group"]
    search_fields = ["title", "author__name", "group__name"]
    date_hierarchy = "created"
    list_select_related = ["group", "author"]


@admin.register(Post)
class PostAdmin(ReadOnlyAdmin):
    list_display = ["thread", "number", "author", "created", "edited_at", "useful_count", "hidden", "deleted_at"]
    list_filter = ["hidden", "created"]
    search_fields = ["text", "author__name", "thread__title"]
    list_select_related = ["thread", "author"]
    raw_id_fields = ["thread", "author"]


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
