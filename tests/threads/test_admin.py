"""Threads and posts in the programme team's admin: never hard-deleted or edited there
(the counters and the moderation queues would lie); hidden, restored and removed through
the moderation actions, which log the step and tell the author."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from community.models import ModerationLogEntry
from notifications.models import Notification, Watch
from threads.models import Flag, Mark, Mention, Post, PostRevision, ReadState, Thread

pytestmark = pytest.mark.django_db


def action_choices(client, model: type) -> set[str]:
    opts = model._meta
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert response.status_code == 200
    action_form = response.context["action_form"]  # None: no actions at all
    return {name for name, _label in action_form.fields["action"].choices} if action_form else set()


def texts(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.mark.parametrize("model", [Thread, Post], ids=lambda m: m.__name__)
def test_threads_and_posts_cannot_be_hard_deleted_in_the_admin(client, login, staff, question, answer, model):
    login(staff)
    obj = question if model is Thread else answer
    opts = model._meta
    delete_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])
    assert client.get(delete_url).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert "delete_selected" not in action_choices(client, model)
    client.post(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )
    assert model.objects.filter(pk=obj.pk).exists()
    thread = Thread.objects.get(pk=question.pk)
    assert (thread.reply_count, thread.last_post_number) == (1, 2)
    assert Post.objects.get(pk=answer.pk).deleted_at is None


@pytest.mark.parametrize(
    "model", [Flag, Mark, Mention, PostRevision, ReadState, Notification, Watch], ids=lambda m: m.__name__
)
def test_rows_that_counters_and_queues_depend_on_cannot_be_deleted_or_edited(client, login, staff, model):
    login(staff)
    model_admin = admin.site._registry[model]
    request = client.get(reverse("admin:index")).wsgi_request
    assert not model_admin.has_delete_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_add_permission(request)
    assert "delete_selected" not in action_choices(client, model)


def test_the_thread_and_post_pages_are_read_only(client, login, staff, question, answer):
    login(staff)
    for url in (
        reverse("admin:threads_thread_change", args=[question.pk]),
        reverse("admin:threads_post_change", args=[answer.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert not response.context["adminform"].form.fields or response.context["has_change_permission"] is False
        assert (
            client.post(
                url, {"hidden": "on", "locked": "on", "reply_count": "99", "deleted_at": "2030-01-01 00:00"}
            ).status_code
            == 403
        )
    thread = Thread.objects.get(pk=question.pk)
    assert (thread.hidden, thread.locked, thread.reply_count) == (False, False, 1)
    assert Post.objects.get(pk=answer.pk).deleted_at is None


def test_a_thread_is_hidden_from_the_changelist_with_a_reason_the_author_is_told(
    client, login, staff, member, question
):
    login(staff)
    changelist = reverse("admin:threads_thread_changelist")
    chosen = {"action": "hide_selected", "_selected_action": [question.pk]}
    response = client.post(changelist, chosen)
    assert response.status_code == 200
    assert 'name="reason"' in response.content.decode() and 'name="csrfmiddlewaretoken"' in response.content.decode()
    assert client.post(changelist, {**chosen, "apply": "yes", "reason": " "}).context["form"].errors["reason"]
    assert not Thread.objects.get(pk=question.pk).hidden
    response = client.post(changelist, {**chosen, "apply": "yes", "reason": "Bevat persoonsgegevens."}, follow=True)
    assert "1 onderwerp verborgen." in texts(response)
    thread = Thread.objects.get(pk=question.pk)
    assert (thread.hidden, thread.hidden_reason) == (True, "Bevat persoonsgegevens.")
    entry = ModerationLogEntry.objects.get(action=ModerationLogEntry.Action.HIDE_THREAD)
    assert (entry.actor, entry.target_member, entry.target_id, entry.reason) == (
        staff,
        member,
        question.pk,
        "Bevat persoonsgegevens.",
    )
    assert Notification.objects.get(recipient=member, kind="thread_hidden").detail == "Bevat persoonsgegevens."
    response = client.post(changelist, {**chosen, "apply": "yes", "reason": "Nog eens."}, follow=True)
    assert f"{question}: Dit onderwerp is al verborgen." in texts(response)
    assert ModerationLogEntry.objects.filter(action=ModerationLogEntry.Action.HIDE_THREAD).count() == 1


def test_a_hidden_thread_is_made_visible_again_from_its_page(client, login, staff, question):
    from threads import actions

    actions.hide_thread(actor=staff, thread=question, reason="Even niet.")
    login(staff)
    change = client.get(reverse("admin:threads_thread_change", args=[question.pk])).content.decode()
    url = reverse("admin:threads_thread_step", args=[question.pk, "unhide_selected"])
    assert url in change
    assert reverse("admin:threads_thread_step", args=[question.pk, "hide_selected"]) not in change
    assert client.get(url).status_code == 200
    assert Thread.objects.get(pk=question.pk).hidden  # GET only asks
    response = client.post(url, {"apply": "yes"})
    assert response.status_code == 302 and response.url == reverse("admin:threads_thread_change", args=[question.pk])
    assert not Thread.objects.get(pk=question.pk).hidden
    assert ModerationLogEntry.objects.get(action=ModerationLogEntry.Action.UNHIDE_THREAD).actor == staff


def test_a_post_is_hidden_and_restored_from_its_page(client, login, staff, colleague, answer):
    login(staff)
    hide = reverse("admin:threads_post_step", args=[answer.pk, "hide_selected"])
    assert hide in client.get(reverse("admin:threads_post_change", args=[answer.pk])).content.decode()
    assert 'name="reason"' in client.get(hide).content.decode()
    assert client.post(hide, {"apply": "yes", "reason": "Op de persoon gespeeld."}).status_code == 302
    post = Post.objects.get(pk=answer.pk)
    assert (post.hidden, post.hidden_reason) == (True, "Op de persoon gespeeld.")
    assert Notification.objects.get(recipient=colleague, kind="post_hidden").detail == "Op de persoon gespeeld."
    unhide = reverse("admin:threads_post_step", args=[answer.pk, "unhide_selected"])
    assert client.post(unhide, {"apply": "yes"}).status_code == 302
    assert not Post.objects.get(pk=answer.pk).hidden
    assert list(
        ModerationLogEntry.objects.filter(actor=staff, target_type="post")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["hide_post", "unhide_post"]


def test_a_post_is_removed_softly_with_a_reason_and_the_counters_follow(
    client, login, staff, colleague, question, answer
):
    login(staff)
    changelist = reverse("admin:threads_post_changelist")
    chosen = {"action": "remove_selected", "_selected_action": [answer.pk]}
    assert 'name="reason"' in client.post(changelist, chosen).content.decode()
    assert Post.objects.get(pk=answer.pk).deleted_at is None
    response = client.post(changelist, {**chosen, "apply": "yes", "reason": "Reclame."}, follow=True)
    assert "1 bericht verwijderd." in texts(response)
    post = Post.objects.get(pk=answer.pk)
    assert post.deleted_at is not None and post.number == 2
    thread = Thread.objects.get(pk=question.pk)
    assert (thread.reply_count, thread.last_post_number) == (0, 2)
    entry = ModerationLogEntry.objects.get(action=ModerationLogEntry.Action.REMOVE_POST)
    assert (entry.actor, entry.target_member, entry.target_id, entry.reason) == (
        staff,
        colleague,
        answer.pk,
        "Reclame.",
    )
    assert Notification.objects.get(recipient=colleague, kind="post_removed").detail == "Reclame."
    response = client.post(changelist, {**chosen, "apply": "yes", "reason": "Nog eens."}, follow=True)
    assert f"{post}: Dit bericht is al verwijderd." in texts(response)
    assert Thread.objects.get(pk=question.pk).reply_count == 0


def test_a_post_removed_in_the_admin_is_published_like_one_removed_on_the_site(
    client, login, staff, colleague, question, answer, django_capture_on_commit_callbacks, published
):
    """The thread's readers see the post go, the author's bell rings: as after a review of flags."""
    login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:threads_post_step", args=[answer.pk, "remove_selected"]),
            {"apply": "yes", "reason": "Reclame."},
        )
    assert sorted((groups, event["type"]) for groups, event in published) == [
        ([f"member.{colleague.pk}"], "notification.created"),
        ([f"thread.{question.pk}"], "thread.post_updated"),
    ]


def test_the_form_of_a_step_for_many_posts_costs_no_more_queries_than_for_a_few(
    client, login, staff, member, plein, themes
):
    """Guards the N+1 of naming each selected post by its thread on the intermediate page
    (the changelist's list_select_related fetches the threads with the posts)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.threads.conftest import make_thread

    login(staff)
    changelist = reverse("admin:threads_post_changelist")
    few = [make_thread(member, plein, title=f"Onderwerp nummer {n}") for n in range(2)]
    many = few + [make_thread(member, plein, title=f"Onderwerp nummer {n}") for n in range(2, 20)]

    def queries(threads) -> int:
        posts = list(Post.objects.filter(thread__in=threads).values_list("pk", flat=True))
        client.post(changelist, {"action": "hide_selected", "_selected_action": posts})
        with CaptureQueriesContext(connection) as captured:
            response = client.post(changelist, {"action": "hide_selected", "_selected_action": posts})
        assert response.status_code == 200 and len(response.context["objects"]) == len(threads)
        return len(captured)

    assert queries(many) == queries(few)


def test_every_step_page_of_the_admin_opens_with_its_form_and_the_csrf_token(client, login, staff, member, question):
    from community.adminsteps import StepsAdmin
    from community.models import Group, Member

    login(staff)
    objects = {
        Member: member,
        Group: Group.objects.get(slug="zuid-holland"),
        Thread: question,
        Post: question.posts.get(number=1),
    }
    with_steps = {model for model, model_admin in admin.site._registry.items() if isinstance(model_admin, StepsAdmin)}
    assert with_steps == set(objects)
    for model, obj in objects.items():
        opts = model._meta
        assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])).status_code == 200
        for step in admin.site._registry[model].steps:
            response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_step", args=[obj.pk, step.name]))
            assert response.status_code == 200, (model.__name__, step.name)
            body = response.content.decode()
            assert 'name="csrfmiddlewaretoken"' in body and 'name="apply"' in body and str(step.title) in body
            for name in step.form().fields if step.form else ():
                assert f'name="{name}"' in body, (model.__name__, step.name, name)
