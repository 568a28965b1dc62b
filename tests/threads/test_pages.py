"""Thread pages and lists: what they show, who may see them, and query budgets
that do not grow with the number of posts, threads, themes and members."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from community.models import Group, Municipality
from notifications import actions as notification_actions
from tests.conftest import approved_member, assert_queries, steady_queries
from tests.threads.conftest import make_thread
from threads import actions
from threads.models import Mark, Post, ReadState, Theme, Thread

pytestmark = pytest.mark.django_db


def bulk_posts(thread: Thread, authors, count: int) -> None:
    """Append ``count`` posts quickly, keeping the thread's counters right."""
    start = thread.last_post_number
    now = timezone.now()
    Post.objects.bulk_create(
        [
            Post(
                thread=thread,
                number=start + n + 1,
                author=authors[n % len(authors)],
                body=f"Reactie {n}",
                html=f"<p>Reactie {n}</p>",
                text=f"Reactie {n}",
                created=now,
            )
            for n in range(count)
        ]
    )
    Thread.objects.filter(pk=thread.pk).update(
        last_post_number=start + count, reply_count=start + count - 1, last_activity_at=now
    )
    thread.refresh_from_db()


def capture(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return response, [q["sql"] for q in captured]


def writes(queries):
    return [q for q in queries if q.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


# --- The thread page -----------------------------------------------------------


def test_the_thread_page_shows_posts_answer_reply_form_and_actions(client, login, question, answer, member, colleague):
    actions.accept_answer(actor=member, thread=question, post=answer)
    login(member)
    response = client.get(question.get_absolute_url(), follow=True)
    assert response.redirect_chain == [(question.get_absolute_url() + "?page=1#post-2", 302)]
    body = response.content.decode()
    assert response.context["accepted"].pk == answer.pk
    assert body.index("Wie heeft een aanpak") < body.index('class="accepted-answer"') < body.index('id="post-2"')
    assert 'id="reply-heading"' in body
    own, other = response.context["posts"]
    assert own.can["edit"] and not own.can["mark"] and not own.can["accept"]
    assert other.can["mark"] and not other.can["edit"] and not other.can["accept"]  # already the answer
    assert reverse("toggle_useful", args=[answer.pk]) in body
    assert f"?quote={answer.pk}" in body


def test_titles_are_escaped_everywhere(client, login, member, plein, themes):
    thread = actions.create_thread(
        author=member,
        group=plein,
        title='<script>alert("x")</script> veilig?',
        kind="question",
        body="Tekst",
        themes=themes[:1],
    )
    login(member)
    for url in [thread.get_absolute_url(), "/latest/", "/groups/het-plein/", "/"]:
        body = client.get(url, follow=True).content.decode()
        assert "<script>alert" not in body
        assert "&lt;script&gt;alert" in body


def test_a_thread_opens_at_the_first_unread_post(client, login, member, colleague, question):
    bulk_posts(question, [colleague], 44)  # posts 2..45
    ReadState.objects.filter(member=member, thread=question).update(last_read_number=30)
    login(member)
    response = client.get(reverse("thread", args=[question.pk]))
    assert response.status_code == 302
    assert response.url == f"{question.get_absolute_url()}?page=2#post-31"
    page = client.get(response.url)
    assert [p.number for p in page.context["posts"]] == list(range(21, 41))
    assert [p.number for p in page.context["posts"] if p.is_unread] == list(range(31, 41))


def test_reading_a_page_moves_the_read_state_with_one_write_and_rereading_writes_nothing(
    client, login, member, colleague, question
):
    """With no unread notifications (the member's count says so), moving the read position
    costs the upsert alone: nothing is looked up to be marked read."""
    bulk_posts(question, [colleague], 30)
    notification_actions.mark_all_read(member=colleague)
    login(colleague)
    _response, queries = capture(client, question.get_absolute_url() + "?page=2")
    assert len(writes(queries)) == 1
    assert ReadState.objects.get(member=colleague, thread=question).last_read_number == 31
    _response, queries = capture(client, question.get_absolute_url() + "?page=2")
    assert writes(queries) == []
    _response, queries = capture(client, question.get_absolute_url() + "?page=1")
    assert writes(queries) == []


def test_page_100_of_a_long_thread_is_fetched_by_number_range(client, login, member, colleague, question):
    bulk_posts(question, [member, colleague], 2099)
    login(member)
    response, queries = capture(client, question.get_absolute_url() + "?page=100")
    assert [p.number for p in response.context["posts"]] == list(range(1981, 2001))
    post_query = next(q for q in queries if 'FROM "threads_post" p' in q)
    assert "OFFSET" not in post_query.upper()
    assert f"p.thread_id = {question.pk}" in post_query
    assert "p.number >= 1981" in post_query and "p.number <= 2000" in post_query
    assert post_query.rstrip().endswith("LIMIT 20"), "the range is bounded for the planner, too"


@pytest.mark.parametrize("page", ["0", "999", "abc", "-1"])
def test_a_page_that_does_not_exist_is_a_404(client, login, member, question, page):
    login(member)
    assert client.get(question.get_absolute_url() + f"?page={page}").status_code == 404


def test_thread_page_queries_stay_constant_with_ten_times_more_posts_members_and_marks(
    client, login, dutch_data, staff, member, colleague, question
):
    """Guards the N+1s of post authors (and their municipality), "nuttig" marks
    per post and themes: each is one bulk query, whatever the page holds."""
    authors = [approved_member(Municipality.objects.get(code=code)) for code in ("GM0518", "GM1783")]
    bulk_posts(question, authors, 25)
    login(member)
    few_first = len(steady_queries(client, question.get_absolute_url() + "?page=1"))
    few_last = len(steady_queries(client, question.get_absolute_url() + "?page=2"))
    more_authors = [
        approved_member(Municipality.objects.get(code=code))
        for code in ("GM0363", "GM0599", "GM0344", "GM0014", "GM0034")
    ] * 4
    bulk_posts(question, more_authors, 250)
    for post in Post.objects.filter(thread=question).exclude(author=member)[:60]:
        Mark.objects.create(member=member, post=post)
        Post.objects.filter(pk=post.pk).update(useful_count=1)
    actions.ensure_themes(["zorg", "onderwijs", "veiligheid"])
    many_first = len(steady_queries(client, question.get_absolute_url() + "?page=1"))
    many_last = len(steady_queries(client, question.get_absolute_url() + f"?page={question.page_count}"))
    assert few_first == many_first and few_last == many_last
    # Member, thread with read position and themes, posts with marks (roles and watch level
    # are kept per Member.cache_version after the first view).
    assert (many_first, many_last) == (3, 3), (many_first, many_last)


@pytest.mark.parametrize("later", [False, True], ids=["answer on page 1", "answer on page 2"])
def test_the_accepted_answer_under_the_opening_post_costs_no_query(client, login, member, colleague, question, later):
    """Guards the lazy loads of the accepted post, its author and their municipality: the
    answer comes with the page's posts, also when it is on a later page."""
    login(member)
    url = question.get_absolute_url() + "?page=1"
    if later:
        bulk_posts(question, [colleague], 30)
    answer = actions.reply_to_thread(author=colleague, thread=question, body="Bij ons met een balie op locatie.")
    without = steady_queries(client, url)
    actions.accept_answer(actor=member, thread=question, post=answer)
    page_queries = steady_queries(client, url)
    assert len(page_queries) == len(without)
    response = client.get(url)
    assert [post.number for post in response.context["posts"]] == list(range(1, 21 if later else 3))
    section = response.content.decode().split('class="accepted-answer"')[1]
    assert "Bij ons met een balie op locatie." in section and colleague.name in section
    assert f"?page={2 if later else 1}#post-{answer.number}" in section


# --- Writing through the pages ------------------------------------------------


def test_a_member_starts_a_thread_in_their_group(client, login, member, themes):
    login(member)
    response = client.post(
        reverse("new_thread", args=["zuid-holland"]),
        {
            "title": "Taalcafé voor nieuwkomers",
            "kind": "experience",
            "body": "Wij organiseren elke week een **taalcafé**.",
            "themes": [themes[2].pk],
        },
    )
    thread = Thread.objects.get(title="Taalcafé voor nieuwkomers")
    assert response.status_code == 302 and response.url == thread.get_absolute_url()
    assert thread.group.slug == "zuid-holland" and thread.author == member


def test_a_bad_new_thread_keeps_what_was_typed(client, login, member, themes):
    login(member)
    response = client.post(
        reverse("new_thread", args=["het-plein"]),
        {"title": "Kort", "kind": "question", "body": "Mijn lange verhaal", "themes": []},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"title", "themes"}
    assert "Mijn lange verhaal" in response.content.decode()
    assert not Thread.objects.exists()


def test_the_kind_and_themes_are_groups_with_a_legend_tied_to_their_help_and_errors(client, login, member, themes):
    """Radio buttons and check boxes come in a fieldset whose legend names the group (a
    label's ``for`` cannot point at a group); the help and the errors are its description."""
    import re

    login(member)
    page = client.get(reverse("new_thread", args=["het-plein"])).content.decode()
    fieldsets = re.findall(r"<fieldset[^>]*>\s*<legend>", page)
    assert len(fieldsets) == 2
    assert 'aria-describedby="id_themes_helptext"' in page and 'id="id_themes_helptext"' in page
    assert '<label for="">' not in page
    refused = client.post(
        reverse("new_thread", args=["het-plein"]), {"title": "Kort", "kind": "question", "body": "Tekst", "themes": []}
    )
    html = refused.content.decode()
    assert 'aria-describedby="id_themes_helptext id_themes_error"' in html and 'id="id_themes_error"' in html


def test_a_member_cannot_start_a_thread_in_a_group_they_are_not_in(client, login, outsider, themes):
    login(outsider)
    assert client.get(reverse("new_thread", args=["expatgemeenten"])).status_code == 403
    response = client.post(
        reverse("new_thread", args=["expatgemeenten"]),
        {"title": "Mag dit?", "kind": "question", "body": "x", "themes": [themes[0].pk]},
    )
    assert response.status_code == 403
    assert not Thread.objects.exists()


def test_members_cannot_post_announcements_but_moderators_can(client, login, member, ambassador, themes):
    data = {"title": "Belangrijke mededeling", "kind": "announcement", "body": "Let op.", "themes": [themes[0].pk]}
    login(member)
    assert client.post(reverse("new_thread", args=["zuid-holland"]), data).status_code == 403
    login(ambassador)
    assert client.post(reverse("new_thread", args=["zuid-holland"]), data).status_code == 302


def test_replying_lands_on_the_new_post(client, login, colleague, question):
    login(colleague)
    response = client.post(reverse("reply", args=[question.pk]), {"body": "Bij ons werkt een balie."})
    assert response.status_code == 302
    assert response.url == f"{question.get_absolute_url()}?page=1#post-2"


def test_an_empty_reply_is_refused_with_a_message(client, login, colleague, question):
    login(colleague)
    response = client.post(reverse("reply", args=[question.pk]), {"body": "   "})
    assert response.status_code == 200 and response.context["form"].errors
    assert question.posts.count() == 1


def test_quoting_without_javascript_prefills_the_reply(client, login, colleague, question):
    login(colleague)
    opening = question.posts.get(number=1)
    response = client.get(reverse("reply", args=[question.pk]) + f"?quote={opening.pk}")
    assert f"[quote=post:{opening.pk}]" in response.context["form"].initial["body"]
    assert (
        client.get(reverse("post_quote", args=[opening.pk])).content.decode().startswith(f"[quote=post:{opening.pk}]")
    )


def test_editing_through_the_page_keeps_a_visible_revision(client, login, member, question):
    post = question.posts.get()
    login(member)
    response = client.post(reverse("edit_post", args=[post.pk]), {"title": question.title, "body": "Nieuwe tekst"})
    assert response.status_code == 302
    revisions = client.get(reverse("post_revisions", args=[post.pk]))
    assert "Wie heeft een aanpak die <strong>werkt</strong>?" in revisions.content.decode()
    page = client.get(question.get_absolute_url() + "?page=1").content.decode()
    assert reverse("post_revisions", args=[post.pk]) in page


def test_nobody_edits_or_deletes_someone_elses_post(client, login, colleague, question):
    post = question.posts.get()
    login(colleague)
    assert client.get(reverse("edit_post", args=[post.pk])).status_code == 403
    assert (
        client.post(
            reverse("edit_post", args=[post.pk]), {"title": "Overgenomen titel", "body": "Overgenomen"}
        ).status_code
        == 403
    )
    assert client.post(reverse("delete_post", args=[post.pk])).status_code == 403
    post.refresh_from_db()
    assert post.body == "Wie heeft een aanpak die **werkt**?" and post.deleted_at is None


def test_deleting_own_post_through_the_page(client, login, colleague, answer):
    login(colleague)
    assert client.get(reverse("delete_post", args=[answer.pk])).status_code == 200
    assert client.post(reverse("delete_post", args=[answer.pk])).status_code == 302
    answer.refresh_from_db()
    assert answer.deleted_at is not None
    assert "Bij ons met een balie" not in client.get(answer.thread.get_absolute_url() + "?page=1").content.decode()


def test_only_the_asker_or_a_moderator_accepts(client, login, colleague, member, staff, question, answer):
    login(colleague)
    assert client.post(reverse("accept_answer", args=[answer.pk])).status_code == 403
    login(member)
    assert client.post(reverse("accept_answer", args=[answer.pk])).status_code == 302
    question.refresh_from_db()
    assert question.accepted_post == answer
    login(staff)
    assert client.post(reverse("unaccept_answer", args=[question.pk])).status_code == 302
    question.refresh_from_db()
    assert question.accepted_post is None


def test_nuttig_toggles_and_is_refused_on_your_own_post(client, login, member, colleague, answer):
    login(member)
    client.post(reverse("toggle_useful", args=[answer.pk]))
    assert Mark.objects.filter(member=member, post=answer).exists()
    client.post(reverse("toggle_useful", args=[answer.pk]))
    assert not Mark.objects.filter(member=member, post=answer).exists()
    login(colleague)
    assert client.post(reverse("toggle_useful", args=[answer.pk])).status_code == 403


def test_a_regional_thread_is_invisible_outside_the_region(client, login, member, outsider, colleague, themes):
    thread = make_thread(member, Group.objects.get(slug="zuid-holland"), posts=1, repliers=[colleague])
    login(outsider)
    for url in [
        thread.get_absolute_url(),
        reverse("reply", args=[thread.pk]),
        reverse("post_permalink", args=[thread.posts.get(number=2).pk]),
        reverse("post_quote", args=[thread.posts.get(number=2).pk]),
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("reply", args=[thread.pk]), {"body": "Ik lees mee"}).status_code == 404
    assert thread.title not in client.get("/latest/").content.decode()
    assert thread.title not in client.get("/groups/zuid-holland/").content.decode()
    login(colleague)
    assert client.get(thread.get_absolute_url() + "?page=1").status_code == 200


# --- Lists --------------------------------------------------------------------


#: Each list's queries, exactly (tests.conftest.assert_queries prints them when they differ).
LISTS = {
    "/": 6, "/latest/": 4, "/unread/": 4, "/unanswered/": 4, "/top/?period=all": 4, "/themes/wonen/": 6,
    "/regions/zuid-holland/": 6, "/similar/": 4, "/groups/het-plein/": 8, "/municipalities/GM0518/": 13, "/members/thijs/": 6,
}  # fmt: skip


@pytest.mark.parametrize("url", LISTS)
def test_list_queries_stay_constant_with_ten_times_more_threads_themes_and_members(
    client, login, member, colleague, dutch_data, themes, url
):
    """Guards the N+1s of a thread row: group, author and municipality, themes
    and the member's read state must each come from one query for the whole page."""
    plein = Group.objects.get(slug="het-plein")

    def add_threads(count):
        for number in range(count):
            author = (
                approved_member(Municipality.objects.get(code=["GM0518", "GM1783", "GM0599"][(number // 2) % 3]))
                if number % 2
                else colleague
            )
            thread = make_thread(
                author, plein, title=f"Onderwerp over wonen {number}", kind="question" if number % 2 else "dilemma"
            )
            thread.themes.set(themes[: 1 + number % 5])
            if number % 3 == 0:
                replier = member if author != member else colleague
                reply = actions.reply_to_thread(author=replier, thread=thread, body="Reactie")
                actions.mark_useful(member=colleague if replier == member else member, post=reply)
            ReadState.objects.get_or_create(member=member, thread=thread, defaults={"last_read_number": 0})

    login(member)
    add_threads(3)
    assert_queries(capture(client, url)[1], LISTS[url], f"{url} with 3 threads")
    add_threads(27)
    assert_queries(capture(client, url)[1], LISTS[url], f"{url} with 30 threads")


def test_the_theme_index_counts_the_threads_the_member_may_read(
    client, login, member, colleague, outsider, plein, themes, django_assert_num_queries
):
    """Threads in a group the member cannot read (Limburg's, for Fatima from Zuid-Holland)
    are not counted. Three queries (the member, the counts, the themes) however many threads."""
    limburg = Group.objects.get(slug="limburg")
    for number in range(3):
        make_thread(colleague, plein, title=f"Onderwerp {number} op het plein")
    make_thread(outsider, limburg, title="Alleen voor Limburg")
    login(member)
    client.get(reverse("themes"))
    with django_assert_num_queries(3):
        response = client.get(reverse("themes"))
    counts = {theme.slug: theme.thread_count for theme in response.context["themes"]}
    first_two = [theme.slug for theme in Theme.objects.all()[:2]]
    assert {slug: counts[slug] for slug in first_two} == dict.fromkeys(first_two, 3)
    assert sum(counts.values()) == 6
    assert "3 onderwerpen" in response.content.decode()


def test_the_lists_show_what_they_promise(client, login, member, colleague, outsider, plein, themes):
    open_question = make_thread(colleague, plein, title="Open vraag zonder antwoord", kind="question")
    answered = make_thread(colleague, plein, title="Vraag met reactie", kind="question", posts=1, repliers=[member])
    actions.mark_useful(member=colleague, post=answered.posts.get(number=2))
    from_limburg = make_thread(outsider, plein, title="Onderwerp uit Venray", kind="experience")
    login(member)

    def titles(url):
        return [listed.row.title for listed in client.get(url).context["page"].threads]

    assert titles("/unanswered/") == [open_question.title]
    assert titles("/top/?period=week") == [answered.title]
    assert titles("/regions/limburg/") == [from_limburg.title]
    assert from_limburg.title not in titles("/similar/")
    assert set(titles("/latest/")) == {open_question.title, answered.title, from_limburg.title}
    ReadState.objects.update_or_create(member=member, thread=open_question, defaults={"last_read_number": 1})
    actions.reply_to_thread(author=colleague, thread=open_question, body="Nieuw")
    assert titles("/unread/") == [open_question.title]
    listed = client.get("/latest/").context["page"].threads[0]
    assert listed.row.title == open_question.title and listed.fragment(hide_group=False).unread_count == 1


def test_lists_page_without_counting(client, login, member, plein, themes):
    for number in range(35):
        make_thread(member, plein, title=f"Onderwerp nummer {number}")
    login(member)
    first = client.get("/latest/").context["page"]
    assert len(first.threads) == 30 and first.has_next
    second = client.get("/latest/?page=2").context["page"]
    assert len(second.threads) == 5 and not second.has_next
    with CaptureQueriesContext(connection) as captured:
        client.get("/latest/?page=2")
    assert not any("COUNT(" in q["sql"].upper() for q in captured)
