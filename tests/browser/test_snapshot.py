"""The database every browser test starts from (``tests/browser/conftest.py``,
``DatabaseSnapshot``): what a test commits is gone for the next, what the migrations and the
import put in is back with the same ids. No browser needed."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType

from community.models import Member, Municipality
from tests.factories import MemberFactory
from threads.models import Theme


def test_putting_the_snapshot_back_undoes_what_a_test_committed(db, database_snapshot):
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
