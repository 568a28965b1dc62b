"""Community pages that show threads: home, group, municipality, profile.

They live here, not in community, because community must not depend on threads.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from community import permissions as community_permissions
from community.members import GroupMembers, group_by_slug, group_moderators, groups_of
from community.models import Group, Member, Membership, Municipality
from community.similarity import similar_municipalities
from community.twofactor.permissions import can_reset_second_factor
from threads import permissions
from threads.blocks import render_blocks
from threads.models import Draft, Post, Thread
from threads.views.listing import thread_page

MEMBERS_PER_PAGE = 30
RECENT = 8


@login_not_required
@require_safe
def home(request):
    """Visitors get the landing page; members the latest threads in their groups."""
    member = request.user
    if not member.is_authenticated:
        return render(
            request,
            "community/landing.html",
            {"counts": {"municipalities": Municipality.objects.count(), "members": Member.objects.approved().count()}},
        )
    if not member.is_participant:
        return redirect("account_status")
    groups = groups_of(member)
    pending = (
        Member.objects.pending_review().in_scope_of(member).count()
        if community_permissions.can_review_signups(member)
        else 0
    )
    return render(
        request,
        "threads/home.html",
        {
            "page": thread_page(request, lambda: Thread.objects.in_groups_of(member).newest_first(), key="home"),
            "groups": groups,
            "pending_count": pending,
            "blocks": render_blocks("home", request, member=member),
        },
    )


@require_safe
def group_detail(request, slug: str):
    member = request.user
    group = group_by_slug(slug)
    if group is None:
        raise Http404
    can_read = permissions.can_read_group(member, group)
    moderators = group_moderators(group.pk)
    members = GroupMembers(group.pk, Membership.Role.MEMBER, count=max(0, group.member_count - len(moderators)))
    members_page = Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("members"))
    return render(
        request,
        "threads/group_detail.html",
        {
            "group": group,
            "moderators": moderators,
            "members_page": members_page,
            "page": thread_page(
                request,
                lambda: Thread.objects.filter(group=group).for_group_page(),
                key=("group", group.pk),
                hide_group=True,
            )
            if can_read
            else None,
            "blocks": render_blocks("group", request, group=group),
            "can": {
                "read": can_read,
                "start_thread": permissions.can_start_thread(member, group),
                "join": community_permissions.can_join_group(member, group),
                "leave": community_permissions.can_leave_group(member, group),
            },
        },
    )


@require_safe
def municipality_detail(request, code: str):
    """A municipality, its members and threads, and its peers with their recent activity."""
    member = request.user
    municipality = get_object_or_404(Municipality.objects.with_typologies(), code=code.upper())
    members = Member.objects.approved().filter(municipality=municipality).with_card_data().order_by("name")
    similar = similar_municipalities(municipality)
    similar_ids = [s.municipality.pk for s in similar]
    counts = dict(
        Municipality.objects.filter(pk__in=similar_ids).with_member_counts().values_list("pk", "member_count")
    )
    # One query for the peers' activity: the most recent threads of all of them together.
    latest_by_municipality: dict[int, Thread] = {}
    peer_threads = (
        Thread.objects.visible_to(member)
        .filter(author__municipality_id__in=similar_ids)
        .select_related("author")
        .newest_first()[: 5 * len(similar_ids)]
    )
    for thread in peer_threads:
        latest_by_municipality.setdefault(thread.author.municipality_id, thread)
    return render(
        request,
        "threads/municipality_detail.html",
        {
            "municipality": municipality,
            "members": members,
            "threads": thread_page(
                request,
                lambda: Thread.objects.filter(author__municipality=municipality).newest_first(),
                key=("municipality", municipality.pk),
                per_page=RECENT,
            ),
            "similar": [
                (s, counts.get(s.municipality.pk, 0), latest_by_municipality.get(s.municipality.pk)) for s in similar
            ],
            "blocks": render_blocks("municipality", request, municipality=municipality, similar=similar),
        },
    )


@require_safe
def member_detail(request, handle: str):
    viewer = request.user
    profile = community_permissions.access_member(viewer, handle)
    groups = Group.objects.filter(memberships__member=profile).order_by("kind", "name")
    visible_threads = Thread.objects.visible_to(viewer)
    recent_posts = list(
        Post.objects.filter(author=profile, deleted_at__isnull=True, hidden=False, thread__in=visible_threads)
        .select_related("thread")
        .order_by("-created")[:RECENT]
    )
    # Only on the member's own page: what they are writing and have not posted yet (one query).
    drafts = (
        [
            draft
            for draft in Draft.objects.filter(member=viewer)
            .select_related("thread__group", "group")
            .order_by("-updated")
            if draft.thread is None or permissions.can_read_thread(viewer, draft.thread)
        ]
        if profile.pk == viewer.pk
        else []
    )
    useful_received = (
        Post.objects.filter(author=profile, deleted_at__isnull=True).aggregate(total=Sum("useful_count"))["total"] or 0
    )
    return render(
        request,
        "threads/member_detail.html",
        {
            "profile": profile,
            "groups": groups,
            "recent_posts": recent_posts,
            "useful_received": useful_received,
            "drafts": drafts,
            "can": {
                "edit": profile.pk == viewer.pk,
                "suspend": community_permissions.can_suspend_member(viewer, profile),
                "reset_second_factor": can_reset_second_factor(viewer, profile),
            },
        },
    )
