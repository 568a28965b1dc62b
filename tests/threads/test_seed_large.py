"""`manage.py seed_large`: small, on the test database, and consistent with what the actions write."""

from __future__ import annotations

import io
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.db.models import Count, Max, Sum

from community.models import Group, Member, Membership
from threads.management.commands.seed_large import BENCH_DOMAIN, BENCH_PASSWORD, BIG_TITLE_PREFIX, bench_email
from threads.models import Mark, Mention, Post, ReadState, Thread, ThreadTheme

SMALL = ["--members", "30", "--threads", "20", "--posts", "400", "--big-thread-posts", "60", "--bodies", "80"]


def seed(*extra: str) -> str:
    out = io.StringIO()
    call_command("seed_large", *SMALL, *extra, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(dutch_data) -> str:
    return seed()


def bench_members():
    return Member.objects.filter(email__endswith=f"@{BENCH_DOMAIN}")


def test_counts_and_the_big_thread(seeded):
    assert "Large data created" in seeded
    assert bench_members().count() == 30
    assert Thread.objects.count() == 20
    assert Post.objects.count() == 400
    big = Thread.objects.get(title__startswith=BIG_TITLE_PREFIX)
    assert big.title == f"{BIG_TITLE_PREFIX} 60 berichten"
    assert big.posts.count() == 60
    assert big.last_post_number == 60
    assert big.group.kind == Group.Kind.PLAZA
    assert all(t.last_post_number < 60 for t in Thread.objects.exclude(pk=big.pk))


def test_post_numbers_are_consecutive_and_counters_match(seeded):
    numbers = defaultdict(list)
    for thread_id, number in Post.objects.order_by("thread_id", "number").values_list("thread_id", "number"):
        numbers[thread_id].append(number)
    for thread in Thread.objects.all():
        posts = list(thread.posts.order_by("number"))
        assert numbers[thread.pk] == list(range(1, len(posts) + 1))
        assert thread.last_post_number == len(posts)
        assert thread.reply_count == sum(1 for p in posts if p.number > 1 and p.deleted_at is None)
        assert thread.last_activity_at == max(p.created for p in posts) == posts[-1].created
        assert thread.last_poster_id == posts[-1].author_id
        assert thread.author_id == posts[0].author_id
        assert thread.created == posts[0].created
        assert [p.created for p in posts] == sorted(p.created for p in posts)
        assert posts[0].deleted_at is None
        assert thread.themes.count() >= 1


def test_marks_match_useful_counts(seeded):
    counted = dict(Post.objects.annotate(n=Count("marks")).values_list("pk", "n"))
    assert dict(Post.objects.values_list("pk", "useful_count")) == counted
    assert Mark.objects.exists()
    sums = dict(Post.objects.order_by().values_list("thread_id").annotate(total=Sum("useful_count")))
    marks = dict(Mark.objects.order_by().values_list("post__thread_id").annotate(n=Count("pk")))
    for thread_id, useful_count in Thread.objects.values_list("pk", "useful_count"):
        assert useful_count == sums[thread_id] == marks.get(thread_id, 0)
    # Never on one's own post nor on a deleted post; only by members of the thread's group.
    for mark in Mark.objects.select_related("post__thread"):
        assert mark.member_id != mark.post.author_id
        assert mark.post.deleted_at is None
        assert Membership.objects.filter(member_id=mark.member_id, group_id=mark.post.thread.group_id).exists()


def test_posts_are_rendered_and_written_by_group_members(seeded):
    for post in Post.objects.select_related("thread").all():
        assert post.body and post.html and post.text
        assert "<p>" in post.html or "<ul>" in post.html or "<ol>" in post.html
        assert Membership.objects.filter(member_id=post.author_id, group_id=post.thread.group_id).exists()


def test_mentions_match_the_bodies(seeded):
    handles = dict(Member.objects.values_list("pk", "handle"))
    for mention in Mention.objects.select_related("post"):
        assert f"@{handles[mention.member_id]}" in mention.post.body
        assert mention.member_id != mention.post.author_id
        assert f'href="/members/{handles[mention.member_id]}/"' in mention.post.html


def test_memberships_are_the_automatic_groups(seeded):
    for member in bench_members().select_related("municipality"):
        assert member.status == Member.Status.ACTIVE and member.is_active and member.municipality_id
        assert member.email_verified_at and member.approved_at
        expected = set(Group.objects.automatic_for(member.municipality).values_list("pk", flat=True))
        assert set(member.memberships.values_list("group_id", flat=True)) == expected
        assert any(Group.objects.get(pk=g).kind == Group.Kind.PLAZA for g in expected)


def test_read_states_cover_every_poster(seeded):
    last_post = dict(Thread.objects.values_list("pk", "last_post_number"))
    read = {(r.member_id, r.thread_id): r.last_read_number for r in ReadState.objects.all()}
    last_by_author = Post.objects.order_by().values("author_id", "thread_id").annotate(n=Max("number"))
    for row in last_by_author:
        assert read[(row["author_id"], row["thread_id"])] >= row["n"]
    assert all(1 <= number <= last_post[thread_id] for (_m, thread_id), number in read.items())
    first = Member.objects.get(email=bench_email(1))
    big = Thread.objects.get(title__startswith=BIG_TITLE_PREFIX)
    assert not ReadState.objects.filter(member=first, thread=big).exists()
    assert Thread.objects.unread_by(first).exists()


def test_accepted_answers_are_visible_replies_to_questions(seeded):
    for thread in Thread.objects.filter(accepted_post__isnull=False).select_related("accepted_post"):
        assert thread.kind == Thread.Kind.QUESTION
        assert thread.accepted_post.thread_id == thread.pk
        assert thread.accepted_post.number > 1 and thread.accepted_post.deleted_at is None


def test_running_twice_does_not_duplicate(seeded):
    counts = (
        Member.objects.count(),
        Thread.objects.count(),
        Post.objects.count(),
        Mark.objects.count(),
        ReadState.objects.count(),
    )
    output = seed()
    assert "already present" in output
    assert (
        Member.objects.count(),
        Thread.objects.count(),
        Post.objects.count(),
        Mark.objects.count(),
        ReadState.objects.count(),
    ) == counts


def test_same_seed_same_content(seeded):
    def content():
        titles = list(Thread.objects.order_by("pk").values_list("title", "kind", "last_post_number", "useful_count"))
        bodies = list(Post.objects.order_by("thread_id", "number").values_list("number", "body", "useful_count"))
        members = list(bench_members().order_by("email").values_list("email", "handle", "name", "municipality__code"))
        return titles, bodies, members

    first = content()
    ThreadTheme.objects.all().delete()
    Thread.objects.update(accepted_post=None)
    Thread.objects.all().delete()
    bench_members().delete()
    seed()
    assert content() == first


def test_the_bench_member_logs_in_and_reads_the_big_thread(seeded, client):
    assert client.login(username=bench_email(1), password=BENCH_PASSWORD)
    big = Thread.objects.get(title__startswith=BIG_TITLE_PREFIX)
    for page in (1, 2, 3):
        response = client.get(big.get_absolute_url(), {"page": page})
        assert response.status_code == 200
        for number in range((page - 1) * 20 + 1, page * 20 + 1):
            assert f'id="post-{number}"'.encode() in response.content
    assert ReadState.objects.get(member__email=bench_email(1), thread=big).last_read_number == 60
    assert client.get("/unread/").status_code == 200
    assert client.get("/groups/het-plein/").status_code == 200


def test_refuses_impossible_sizes(dutch_data):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command(
            "seed_large", "--threads", "100", "--posts", "50", "--big-thread-posts", "10", stdout=io.StringIO()
        )
    assert not Thread.objects.exists()


def test_analyzes_inside_a_transaction(seeded):
    """Tests run inside a transaction, where VACUUM cannot: the statistics still come."""
    from django.db import connection

    if connection.vendor == "postgresql":
        assert "analyze" in seeded and "vacuum and analyze" not in seeded


@pytest.mark.django_db(transaction=True)
def test_vacuums_after_the_bulk_load_on_postgresql():
    """Outside a transaction (as from the command line) the tables are vacuumed too: without a
    visibility map no index-only scan can skip the table, and the unread list's
    ``thread_unread_check`` is planned dearer than a sequential scan of all threads."""
    from django.db import connection

    from tests.needs import need_postgres

    need_postgres()
    call_command("import_municipalities", verbosity=0, stdout=io.StringIO())
    output = seed()
    assert "vacuum and analyze" in output
    with connection.cursor() as cursor:
        cursor.execute("SELECT relallvisible FROM pg_class WHERE relname = %s", [Thread._meta.db_table])
        (all_visible_pages,) = cursor.fetchone()
    assert all_visible_pages > 0
