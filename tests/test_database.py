"""The database every test starts from (``tests/database.py``): what a test commits is gone
for the next, what the migrations and the import put in is back with the same ids."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from community.models import Member, Municipality
from tests.database import commits
from tests.factories import MemberFactory
from threads.models import Theme


def test_putting_the_snapshot_back_undoes_what_a_test_committed(transactional_db, database_snapshot):
    themes = list(Theme.objects.order_by("pk").values_list("pk", "slug"))
    content_types = list(ContentType.objects.order_by("pk").values_list("pk", "app_label", "model"))
    assert themes and content_types and Municipality.objects.count() == 342
    assert not Member.objects.exists()

    MemberFactory(municipality=Municipality.objects.get(code="GM0518"))
    Theme.objects.all().delete()
    Municipality.objects.filter(code="GM0014").update(name="Stad")
    database_snapshot.restore()

    assert not Member.objects.exists()
    assert list(Theme.objects.order_by("pk").values_list("pk", "slug")) == themes
    assert list(ContentType.objects.order_by("pk").values_list("pk", "app_label", "model")) == content_types
    assert Municipality.objects.get(code="GM0014").name == "Groningen"


@pytest.mark.django_db(transaction=True)
def test_a_test_marked_transactional_commits(request):
    assert commits(request.node)


def test_a_test_with_the_transactional_database_commits(request, transactional_db):
    assert commits(request.node)


@pytest.mark.django_db
def test_a_test_in_a_transaction_does_not_commit(request):
    assert not commits(request.node)


def test_a_test_without_the_database_does_not_commit(request):
    assert not commits(request.node)


def test_the_snapshot_goes_back_after_a_test_that_committed(transactional_db, request):
    """What ``tests/conftest.py`` does after the teardown of a test that committed."""
    from tests import conftest

    MemberFactory(municipality=Municipality.objects.get(code="GM0518"))
    after_teardown = conftest.pytest_runtest_teardown(request.node, None)
    next(after_teardown)  # the teardown itself runs here
    with pytest.raises(StopIteration):
        after_teardown.send(None)
    assert not Member.objects.exists()
