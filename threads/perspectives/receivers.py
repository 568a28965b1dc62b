"""The perspectives' part of a member's privacy rights (community.signals): what this app
holds about a member for their data export, and erasing what names them when they delete
their account. Examples from their posts stay (as the posts do), without their name."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from community import signals as community_signals
from threads.perspectives.models import Citation, PerspectiveRevision, Suggestion


@receiver(community_signals.collect_personal_data)
def export_perspectives_data(sender: Any, member, **kwargs: Any) -> dict[str, Any]:
    return {
        "perspective_examples_from_your_posts": [
            {
                "perspective": citation.perspective.title,
                "post": citation.post_id,
                "quote": citation.quote,
                "municipality": citation.municipality_name,
                "position": citation.position,
                "name_in_public_versions": citation.name_consent,
                "cited": citation.created,
                "removed": citation.removed_at,
            }
            for citation in Citation.objects.filter(author=member)
            .select_related("perspective")
            .order_by("created", "pk")
        ],
        "perspective_suggestions": [
            {"thread": s.thread_id, "note": s.note, "status": s.status, "created": s.created}
            for s in Suggestion.objects.filter(member=member).order_by("created", "pk")
        ],
        "perspective_revisions_you_wrote": [
            {"perspective": r.perspective.title, "revision": r.number, "change": r.description, "when": r.created}
            for r in PerspectiveRevision.objects.filter(editor=member)
            .select_related("perspective")
            .order_by("created", "pk")
        ],
    }


@receiver(community_signals.account_deleted)
def erase_perspectives_data(sender: Any, member, former, **kwargs: Any) -> None:
    """Quotes from their posts lose their name, handle and address (as the posts do), and
    no public version names them any more; their suggestions' notes go."""
    perspective_ids = set()
    for citation in Citation.objects.filter(author=member):
        Citation.objects.filter(pk=citation.pk).update(quote=former.scrub(citation.quote), name_consent=False)
        perspective_ids.add(citation.perspective_id)
    # The revisions list the examples, with the editors' notes, which may name them.
    for revision in PerspectiveRevision.objects.filter(perspective_id__in=perspective_ids):
        content = dict(revision.content)
        content["examples"] = [former.scrub(line) for line in content.get("examples", [])]
        if content != revision.content:
            PerspectiveRevision.objects.filter(pk=revision.pk).update(content=content)
    Suggestion.objects.filter(member=member).update(note="")
