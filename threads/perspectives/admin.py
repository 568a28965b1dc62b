"""Handelingsperspectieven in the programme team's admin: to look things up, read only.
They are written on the site (``/perspectives/``), where every change is a revision
and a second editor publishes; the admin would bypass both."""

from __future__ import annotations

from django.contrib import admin
from django.db import models

from threads.admin import ReadOnlyAdmin
from threads.perspectives.models import (
    Citation,
    Perspective,
    PerspectiveRevision,
    PerspectiveVersion,
    Source,
    Suggestion,
)


@admin.register(Perspective)
class PerspectiveAdmin(ReadOnlyAdmin):
    list_display = ["title", "slug", "status", "is_public", "current_version", "updated"]
    list_filter = ["status", "is_public"]
    search_fields = ["title", "slug", "summary"]


@admin.register(PerspectiveVersion)
class PerspectiveVersionAdmin(ReadOnlyAdmin):
    list_display = ["title", "number", "published_by", "published_at"]
    search_fields = ["title"]
    exclude = ["search_vector"]


@admin.register(PerspectiveRevision)
class PerspectiveRevisionAdmin(ReadOnlyAdmin):
    list_display = ["perspective", "number", "editor", "description", "created"]
    search_fields = ["perspective__title", "description"]


@admin.register(Citation)
class CitationAdmin(ReadOnlyAdmin):
    list_display = ["perspective", "municipality_name", "position", "posted_at", "name_consent", "removed_at"]
    list_filter = ["name_consent"]
    search_fields = ["perspective__title", "municipality_name", "quote"]


@admin.register(Source)
class SourceAdmin(ReadOnlyAdmin):
    list_display = ["title", "publisher", "year", "perspective", "removed_at"]
    search_fields = ["title", "publisher", "url"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Suggestion)
class SuggestionAdmin(ReadOnlyAdmin):
    list_display = ["thread", "member", "status", "created"]
    list_filter = ["status"]
    search_fields = ["thread__title", "note"]
