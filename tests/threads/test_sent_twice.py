"""A form sent twice makes one post: a double click, or nginx sending a reply again to the
other process when the first died before it answered (``proxy_next_upstream ...
non_idempotent`` in ``deploy/nginx/samenleven.conf``). The reply and new-thread forms carry
a key that is new with every form shown (``Post.request_key``); the "nuttig" button says
which state it asks for."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import reverse

from notifications.models import Notification
from threads import actions
from threads.models import Mark, Post, Thread

pytestmark = pytest.mark.django_db

KEY_INPUT = re.compile(r'<input type="hidden" name="request_key" value="([0-9a-f-]{32,36})"')


def test_every_thread_page_shows_a_reply_form_with_a_key_of_its_own(client, login, colleague, question):
    login(colleague)
    pages = [client.get(question.get_absolute_url() + "?page=1").content.decode() for _ in range(2)]
    keys = [KEY_INPUT.findall(page) for page in pages]
    assert len(keys[0]) == len(keys[1]) == 1, "one key in each page's reply form"
    assert keys[0] != keys[1], "the cached form gets a new key on every page"
    assert all("\x00" not in page for page in pages)


def test_the_same_reply_form_sent_twice_makes_one_post_one_notification(client, login, member, colleague, question):
    login(colleague)
    form = {"body": "Bij ons werkt een balie.", "request_key": str(uuid.uuid4())}
    first = client.post(reverse("reply", args=[question.pk]), form)
    again = client.post(reverse("reply", args=[question.pk]), form)
    assert first.status_code == again.status_code == 302
    assert again.url == first.url == f"{question.get_absolute_url()}?page=1#post-2"
    assert question.posts.count() == 2
    question.refresh_from_db()
    assert question.last_post_number == 2 and question.reply_count == 1
    notifications = Notification.objects.filter(recipient=member, thread=question)
    assert [(n.kind, n.count) for n in notifications] == [(Notification.Kind.REPLIED, 1)]


def test_another_form_or_no_key_makes_another_post(client, login, colleague, question):
    login(colleague)
    url = reverse("reply", args=[question.pk])
    client.post(url, {"body": "Eén.", "request_key": str(uuid.uuid4())})
    client.post(url, {"body": "Eén.", "request_key": str(uuid.uuid4())})
    client.post(url, {"body": "Zonder sleutel."})
    client.post(url, {"body": "Zonder sleutel."})
    response = client.post(url, {"body": "Met een sleutel die er geen is.", "request_key": "geen-sleutel"})
    assert response.status_code == 302, "a broken key is no key, never an error"
    assert question.posts.count() == 6


def test_a_key_is_the_authors_own(question, member, colleague):
    key = uuid.uuid4()
    mine = actions.reply_to_thread(author=colleague, thread=question, body="Van mij.", request_key=key)
    theirs = actions.reply_to_thread(author=member, thread=question, body="Van haar.", request_key=key)
    assert mine.pk != theirs.pk and theirs.author == member


def test_the_second_of_two_sends_gets_the_first_post_back_from_the_unique_key(question, colleague):
    key = uuid.uuid4()
    first = actions.reply_to_thread(author=colleague, thread=question, body="Eén keer.", request_key=key)
    again = actions.reply_to_thread(author=colleague, thread=question, body="Eén keer.", request_key=key)
    assert again.pk == first.pk and again.number == 2
    assert Post.objects.filter(thread=question).count() == 2


def test_the_new_thread_form_sent_twice_starts_one_thread(client, login, member, plein, themes):
    login(member)
    form = {
        "title": "Een vraag over taalcafés",
        "kind": "question",
        "body": "Wie heeft ervaring?",
        "themes": [themes[0].pk],
        "request_key": str(uuid.uuid4()),
    }
    first = client.post(reverse("new_thread", args=[plein.slug]), form)
    again = client.post(reverse("new_thread", args=[plein.slug]), form)
    assert first.status_code == again.status_code == 302 and again.url == first.url
    assert Thread.objects.filter(title="Een vraag over taalcafés").count() == 1


def test_the_new_thread_form_shows_a_key(client, login, member, plein):
    login(member)
    page = client.get(reverse("new_thread", args=[plein.slug])).content.decode()
    assert len(KEY_INPUT.findall(page)) == 1


@pytest.mark.parametrize("sends", [1, 2])
def test_the_useful_button_asks_for_a_state_so_sending_it_again_keeps_it(client, login, colleague, answer, sends):
    login(colleague.__class__.objects.get(pk=answer.thread.author_id))
    url = reverse("toggle_useful", args=[answer.pk])
    page = client.get(answer.thread.get_absolute_url() + "?page=1").content.decode()
    assert '<input type="hidden" name="useful" value="1">' in page
    for _ in range(sends):
        client.post(url, {"useful": "1"})
    assert Mark.objects.filter(post=answer).count() == 1
    page = client.get(answer.thread.get_absolute_url() + "?page=1").content.decode()
    assert '<input type="hidden" name="useful" value="0">' in page
    for _ in range(sends):
        client.post(url, {"useful": "0"})
    assert Mark.objects.filter(post=answer).count() == 0


def test_the_useful_button_without_a_state_still_turns_the_mark_around(client, login, member, answer):
    login(member)
    url = reverse("toggle_useful", args=[answer.pk])
    client.post(url)
    assert Mark.objects.filter(post=answer).count() == 1
    client.post(url)
    assert Mark.objects.filter(post=answer).count() == 0
