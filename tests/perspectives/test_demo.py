"""The demo content: ``seed_demo`` adds two published perspectives (expat and border
municipalities) and one in review, each citing demo threads; running it again adds nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from threads.perspectives.models import Perspective

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_two_published_perspectives_and_one_in_review(dutch_data, themes):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Demo handelingsperspectieven: 3 created." in out.getvalue()
    perspectives = {
        p.current_version.typologies.get().slug if p.current_version else p.status: p
        for p in Perspective.objects.select_related("current_version")
    }
    assert set(perspectives) == {"expatgemeenten", "grensgemeenten", "review"}
    for slug in ("expatgemeenten", "grensgemeenten"):
        perspective = perspectives[slug]
        assert perspective.status == "published" and perspective.is_public
        assert perspective.current_version.published_by != perspective.current_version.submitted_by
        assert perspective.current_version.citations.count() >= 2 and perspective.current_version.sources.exists()
    in_review = perspectives["review"]
    assert in_review.current_version is None and in_review.citations.get().thread.group.slug == "zuid-holland"
    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert "Demo handelingsperspectieven: 0 created." in again.getvalue() and Perspective.objects.count() == 3
