"""The perspectives' blocks on pages served by ``threads`` (``threads.blocks``).

- municipality page: "Handelingsperspectieven voor gemeenten zoals de uwe", by the
  municipality's typologies (three queries: perspectives, their typologies, their themes);
- typology group page: the perspectives for that typology (the same three);
- search page: a section of its own with the perspectives found (two queries);
- thread page: which perspectives cite the thread (kept in the cache until a publication
  or supersession changes it, so a thread page costs no query for it), the editors'
  "Gebruik in een handelingsperspectief" and the members' "suggest" link.

Each block checks who is looking, renders its own template and shows nothing when it
has nothing to show.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from django.template.loader import render_to_string

from community.models import Group, Municipality
from community.permissions import is_participant
from threads import blocks
from threads.models import Thread
from threads.perspectives import permissions
from threads.perspectives.actions import CITED_THREAD_IDS_KEY, cited_threads_key
from threads.perspectives.models import Perspective
from threads.perspectives.search import search_perspectives

#: How many perspectives a page block lists (the index has them all).
LIMIT = 6
CITED_TIMEOUT = 60 * 60 * 24


def _for_typologies(typology_ids: list[int]) -> list[Perspective]:
    return list(Perspective.objects.published().for_typologies(typology_ids).with_list_data().newest_first()[:LIMIT])


def municipality_block(request: HttpRequest, *, municipality: Municipality, **context: Any) -> str | None:
    member = request.user
    if not is_participant(member):
        return None
    typologies = list(municipality.typologies.all())  # prefetched by the page
    if not typologies:
        return None
    perspectives = _for_typologies([t.pk for t in typologies])
    if not perspectives:
        return None
    return render_to_string(
        "perspectives/_page_block.html",
        {
            "perspectives": perspectives,
            "own": member.municipality_id == municipality.pk,
            "municipality": municipality,
            "matching": {t.pk for t in typologies},
            "typologies": typologies,
        },
        request=request,
    )


def group_block(request: HttpRequest, *, group: Group, **context: Any) -> str | None:
    member = request.user
    if group.kind != Group.Kind.TYPOLOGY or group.typology_id is None or not is_participant(member):
        return None
    perspectives = _for_typologies([group.typology_id])
    if not perspectives:
        return None
    return render_to_string(
        "perspectives/_page_block.html",
        {"perspectives": perspectives, "group": group, "matching": {group.typology_id}},
        request=request,
    )


def search_block(request: HttpRequest, *, query: str, filters, **context: Any) -> str | None:
    if request.GET.get("page", "1") not in ("", "1"):
        return None  # the section belongs to the first page of results
    hits = search_perspectives(member=request.user, text=query, filters=filters)
    if not hits:
        return None
    return render_to_string("perspectives/_search_block.html", {"hits": hits, "query": query}, request=request)


def cited_thread_ids() -> frozenset[int]:
    """The ids of the threads that published perspectives cite, from the cache when it
    holds them: one entry for the whole site, so that the first view of any other thread
    (most of them) costs no query and no entry of its own."""
    try:
        found = cache.get(CITED_THREAD_IDS_KEY)
    except Exception:
        found = None
    if found is None:
        found = frozenset(
            pk
            for pk in Perspective.objects.published().values_list("current_version__citations__thread_id", flat=True)
            if pk is not None
        )
        try:
            cache.set(CITED_THREAD_IDS_KEY, found, CITED_TIMEOUT)
        except Exception:
            pass
    return found


def citing_perspectives(thread_id: int) -> list[tuple[str, str]]:
    """(slug, title) of the published perspectives whose current version cites the thread,
    from the cache when it holds them (``actions.publish_perspective`` and
    ``supersede_perspective`` forget the entries they change)."""
    if thread_id not in cited_thread_ids():
        return []
    key = cited_threads_key(thread_id)
    try:
        found = cache.get(key)
    except Exception:
        found = None
    if found is None:
        found = [
            (slug, title)
            for slug, title in Perspective.objects.published()
            .citing_thread(thread_id)
            .order_by("current_version__title")
            .values_list("slug", "current_version__title")
        ]
        try:
            cache.set(key, found, CITED_TIMEOUT)
        except Exception:
            pass
    return [tuple(item) for item in found]


def thread_block(request: HttpRequest, *, thread: Thread, **context: Any) -> str | None:
    member = request.user
    can_use = permissions.can_cite_thread(member, thread)
    can_suggest = permissions.can_suggest_thread(member, thread)
    cited = citing_perspectives(thread.pk)
    if not (cited or can_use or can_suggest):
        return None
    return render_to_string(
        "perspectives/_thread_block.html",
        {"thread": thread, "cited": cited, "can_use": can_use, "can_suggest": can_suggest},
        request=request,
    )


def register_blocks() -> None:
    blocks.register("municipality", "perspectives", municipality_block, order=10)
    blocks.register("group", "perspectives", group_block, order=10)
    blocks.register("search", "perspectives", search_block, order=10)
    blocks.register("thread", "perspectives", thread_block, order=10)
