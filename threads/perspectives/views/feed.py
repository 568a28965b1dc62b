"""The Atom feed of public handelingsperspectieven (``/perspectives/feed/``), readable without an account."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from threads.perspectives.models import Perspective

ENTRIES = 50


class PublicPerspectivesFeed(Feed):
    feed_type = Atom1Feed

    def title(self) -> str:
        return _("Handelingsperspectieven of %(site)s") % {"site": settings.SITE_NAME}

    def subtitle(self) -> str:
        return _(
            "Guidance for municipalities with comparable characteristics, built from what local administrators shared."
        )

    def link(self) -> str:
        return reverse("perspectives")

    def feed_url(self) -> str:
        return reverse("perspectives_feed")

    def author_name(self) -> str:
        return settings.SITE_NAME

    def items(self):
        """Public perspectives, most recently published (or updated) first: one query."""
        return (
            Perspective.objects.public()
            .select_related("current_version")
            .order_by("-current_version__published_at", "-pk")[:ENTRIES]
        )

    def item_title(self, item: Perspective) -> str:
        return item.current_version.title

    def item_description(self, item: Perspective) -> str:
        return item.current_version.summary

    def item_link(self, item: Perspective) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: Perspective):
        return item.current_version.published_at

    def item_updateddate(self, item: Perspective):
        return item.current_version.published_at


feed = login_not_required(PublicPerspectivesFeed())
