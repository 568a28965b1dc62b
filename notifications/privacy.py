"""The notifications app's part of a member's privacy rights: what it holds for
the data export, and erasing it when the member deletes their account.

Besides notifications and watch levels this covers every other model of the app
that points to the member (the e-mail preferences, the outbox, the digest
ledger), found through their foreign keys, so that a model added later is
exported and erased without anyone having to remember this module.
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import translation

from community import facts
from notifications.models import Notification, Watch
from notifications.texts import describe, target_url

if TYPE_CHECKING:
    from community.actions import FormerIdentity
    from community.models import Member

HANDLED = (Notification, Watch)


def _member_fields(model: type[models.Model]) -> list[str]:
    """The names of the model's foreign keys (and one-to-ones) to the member model."""
    return [
        field.name
        for field in model._meta.get_fields()
        if isinstance(field, models.ForeignKey) and field.related_model is apps.get_model(settings.AUTH_USER_MODEL)
    ]


def _other_models() -> list[tuple[type[models.Model], list[str]]]:
    found = []
    for model in apps.get_app_config("notifications").get_models():
        if model in HANDLED:
            continue
        fields = _member_fields(model)
        if fields:
            found.append((model, fields))
    return found


def _row(instance: models.Model) -> dict[str, Any]:
    data = {}
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname)
        data[field.attname] = value
    return data


def export_notifications_data(*, member: Member) -> dict[str, Any]:
    with translation.override(member.language or settings.LANGUAGE_CODE):
        notifications = [
            {
                "kind": n.kind,
                "text": describe(n),
                "url": target_url(n),
                "created": n.created,
                "read": n.read_at,
            }
            for n in Notification.objects.filter(recipient=member).order_by("id")
        ]
    data: dict[str, Any] = {
        "notifications": notifications,
        "watch_levels": [
            {
                "thread": w.thread_id,
                "group": w.group.slug if w.group_id else None,
                "theme": w.theme.slug if w.theme_id else None,
                "level": w.get_level_display(),
                "updated": w.updated,
            }
            for w in Watch.objects.filter(member=member).select_related("group", "theme").order_by("id")
        ],
    }
    for model, fields in _other_models():
        query = reduce(or_, (models.Q(**{name: member}) for name in fields))
        rows = [_row(row) for row in model.objects.filter(query)]
        key = "preferences" if model.__name__ == "EmailPreference" else model._meta.model_name
        data[key] = rows
    return data


def erase_notifications_data(*, member: Member, former: FormerIdentity) -> None:
    """The member's notifications and watch levels go; notifications others got
    about what the member did no longer name them; rows of the app's other models
    that point to the member, or carry their old e-mail address, are deleted, and
    rows about others that name the member lose the name and handle."""
    Notification.objects.filter(recipient=member).delete()
    Watch.objects.filter(member=member).delete()
    facts.watches_changed(member_ids=[member.pk])
    Notification.objects.filter(actor=member).update(actor=None, actor_name="")
    for notification in Notification.objects.filter(detail__icontains=former.name):
        Notification.objects.filter(pk=notification.pk).update(detail=former.scrub(notification.detail))
    for model, fields in _other_models():
        texts = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField)) and not f.choices
        ]
        query = reduce(or_, (models.Q(**{name: member}) for name in fields))
        for field in texts:
            query |= models.Q(**{f"{field.name}__icontains": former.email})
        model.objects.filter(query).delete()
        # Rows about others that name the member (an e-mail telling a colleague that
        # she mentioned them): they stay, without her name and handle.
        naming = reduce(
            or_,
            (
                models.Q(**{f"{f.name}__icontains": value})
                for f in texts
                for value in (former.name, f"@{former.handle}", f"/members/{former.handle}/")
            ),
            models.Q(pk__in=[]),
        )
        for row in model.objects.filter(naming):
            changes = {f.attname: former.scrub(getattr(row, f.attname)) for f in texts if getattr(row, f.attname)}
            model.objects.filter(pk=row.pk).update(**changes)
