"""The thread page: one page of posts, opened at the member's first unread post, from the
cached fragments declared in ``threads/pageposts.py``."""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_safe

from community.performance.fragments import render_declared
from threads import actions, permissions
from threads.blocks import render_blocks
from threads.models import POSTS_PER_PAGE, Thread
from threads.pageposts import REQUEST_KEY, AcceptedFragment, ThreadPostsFragment, page_posts


def thread_url(thread: Thread, page: int = 1, number: int | None = None) -> str:
    """Always with ?page=, also for page 1: without it the thread page would
    redirect to the first unread post again (browsers do not send the #post-N)."""
    url = thread.get_absolute_url() + f"?page={page}"
    if number is not None:
        url += f"#post-{number}"
    return url


def page_of(number: int) -> int:
    return (number - 1) // POSTS_PER_PAGE + 1


@require_safe
def thread_detail(request: HttpRequest, pk: int, slug: str | None = None) -> HttpResponse:
    """One page of posts, fetched by number range; without ?page= the thread
    opens at the member's first unread post."""
    member = request.user
    thread = permissions.access_thread_page(member, pk)
    known = thread.last_read_number
    raw_page = request.GET.get("page")
    if raw_page is None:
        if known:
            target = min(known + 1, thread.last_post_number)
            if target > 1:
                return HttpResponseRedirect(thread_url(thread, page_of(target), target))
        page = 1
    else:
        if not raw_page.isdigit() or not 1 <= int(raw_page) <= thread.page_count:
            raise Http404
        page = int(raw_page)
    first = (page - 1) * POSTS_PER_PAGE + 1
    last = min(page * POSTS_PER_PAGE, thread.last_post_number)
    accepted_id = thread.accepted_post_id if page == 1 else None
    posts, accepted = page_posts(thread, member, first, last, also=accepted_id)
    can = {
        "reply": permissions.can_reply(member, thread),
        "unaccept": thread.accepted_post_id is not None and permissions.can_accept_answer(member, thread),
        "moderate": permissions.can_moderate_thread(member, thread),
        **{f"moderate_{name}": allowed for name, allowed in permissions.moderation_controls(member, thread).items()},
    }
    for post in posts:
        post.can = permissions.post_rights(member, thread, post)
        post.is_unread = known is not None and post.number > known
    posts_fragment = ThreadPostsFragment(
        thread_id=thread.pk, locked=thread.locked, page=page, page_count=thread.page_count,
        page_links=_page_links(page, thread.page_count), can_reply=can["reply"], can_unaccept=can["unaccept"],
        posts=tuple(post.fragment(can_reply=can["reply"]) for post in posts),
        accepted=None if accepted is None else AcceptedFragment(accepted.values, permissions.can_see_post_body(member, accepted), thread.pk),
    )  # fmt: skip
    fill = {REQUEST_KEY: uuid.uuid4().hex} if can["reply"] else {}
    [posts_html] = render_declared(request, [posts_fragment], fill=fill)
    response = render(
        request,
        "threads/thread_detail.html",
        {
            "thread": thread,
            "page": page,
            "posts": posts,
            "accepted": accepted,
            "posts_html": posts_html,
            "can": can,
            "blocks": render_blocks("thread", request, thread=thread),
        },  # fmt: skip
    )
    if posts:
        actions.mark_read(member=member, thread=thread, number=posts[-1].number, known=known)
    return response


def _page_links(current: int, total: int) -> tuple[int | None, ...]:
    """First, last and the pages around the current one; None marks a gap."""
    wanted = sorted({1, total, *range(max(1, current - 2), min(total, current + 2) + 1)})
    links: list[int | None] = []
    for number in wanted:
        if links and number - links[-1] > 1:
            links.append(None)
        links.append(number)
    return tuple(links)
