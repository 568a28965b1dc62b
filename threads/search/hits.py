"""What a page of search results holds: hits (a post with its highlighted title and
snippet) and the page around them."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.safestring import SafeString

from threads.models import Post, Thread
from threads.search.query import ParsedQuery

RESULTS_PER_PAGE = 20


@dataclass
class Hit:
    post: Post
    title: SafeString  # the thread's title, escaped, matches in <mark>
    snippet: SafeString  # part of the post's text, escaped, matches in <mark>

    @property
    def thread(self) -> Thread:
        return self.post.thread

    @property
    def is_accepted_answer(self) -> bool:
        return self.post.thread.accepted_post_id == self.post.pk


@dataclass
class SearchPage:
    query: ParsedQuery
    hits: list[Hit]
    number: int
    has_next: bool
    total: int  # threads with a hit
    total_is_lower_bound: bool = False  # there are more than ``total``
    per_page: int = RESULTS_PER_PAGE

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.hits else 0

    @property
    def last_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.hits)


def page_posts(ids: list[int], **annotations) -> list[Post]:
    """The page's posts with what a hit shows, in one query, in the order of ``ids``."""
    posts = (
        Post.objects.filter(pk__in=ids)
        .select_related("thread__group", "author__municipality")
        .defer("body", "html", "search_vector")
        .annotate(**annotations)
    )
    by_id = {post.pk: post for post in posts}
    return [by_id[pk] for pk in ids if pk in by_id]
