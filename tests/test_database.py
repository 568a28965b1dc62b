"""The database every test starts from (``tests/database.py``): what a test commits is gone
for the next, what the migrations and the import put in is back with the same ids."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType

from community.models import Member, Municipality
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


def test_after_a_test_that_committed_the_snapshot_goes_back_instead_of_a_flush(transactional_db):
    """What Django runs at the end of a test that committed
    (``TransactionTestCase._fixture_teardown``) puts the snapshot back: the member is gone,
    the Dutch data is still there, and nothing was emptied and made again (Django's flush
    sends ``post_migrate`` to make the content types and permissions again)."""
    from django.db.models.signals import post_migrate
    from django.test import TransactionTestCase

    MemberFactory(municipality=Municipality.objects.get(code="GM0518"))
    sent: list[dict] = []

    def record(**kwargs) -> None:
        sent.append(kwargs)

    post_migrate.connect(record)
    try:
        TransactionTestCase("run")._fixture_teardown()
    finally:
        post_migrate.disconnect(record)

    assert not Member.objects.exists()
    assert Municipality.objects.count() == 342
    assert sent == []
