"""The one WebSocket per browser tab, at /ws/.

It only authenticates, joins the groups the member may join, forwards events
and leaves on disconnect: no database writes, no "everyone" group.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from notifications import groups

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
MAX_WATCHED_THREADS = 20


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.joined: set[str] = set()
        user = self.scope.get("user")
        # Accept first: a close before accepting loses its code in the handshake.
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        member, last_notification = await database_sync_to_async(_load_member)(user.pk)
        if member is None or not member.is_participant:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.member = member
        self.language = member.language
        await self._join(groups.member_group(member.pk))
        await self.send_json(
            {
                "type": "session.ready",
                "member": member.pk,
                "unread": member.unread_notifications,
                "last_notification": last_notification,
            }
        )

    async def disconnect(self, code: int) -> None:
        for group in list(getattr(self, "joined", ())):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.joined = set()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not hasattr(self, "member"):
            return
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "thread.watch":
            await self._watch_thread(content.get("thread"))
        elif kind == "thread.unwatch":
            thread_id = content.get("thread")
            if isinstance(thread_id, int):
                await self._leave(groups.thread_group(thread_id))
                await self.send_json({"type": "thread.unwatched", "thread": thread_id})
        elif kind == "moderation.watch":
            await self._watch_moderation()
        else:
            await self._error("unknown", _("Unknown message."))

    async def _watch_thread(self, thread_id: Any) -> None:
        if not isinstance(thread_id, int) or isinstance(thread_id, bool):
            await self._error("invalid", _("Which thread?"))
            return
        if sum(1 for name in self.joined if name.startswith("thread.")) >= MAX_WATCHED_THREADS:
            await self._error("too_many", _("Too many threads open at once on this connection."))
            return
        if not await database_sync_to_async(_may_watch_thread)(self.member.pk, thread_id):
            await self._error("forbidden", _("You cannot follow this thread."), thread=thread_id)
            return
        await self._join(groups.thread_group(thread_id))
        await self.send_json({"type": "thread.watching", "thread": thread_id})

    async def _watch_moderation(self) -> None:
        """Join the moderation group of every group the member moderates (staff: all),
        each after its own permission check, for live queue counts."""
        group_ids = await database_sync_to_async(_moderation_groups)(self.member.pk)
        if not group_ids:
            await self._error("forbidden", _("You have no moderation queues."))
            return
        for group_id in group_ids:
            await self._join(groups.moderation_group(group_id))
        await self.send_json({"type": "moderation.watching", "groups": group_ids})

    async def _join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.joined.add(group)

    async def _leave(self, group: str) -> None:
        if group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)
            self.joined.discard(group)

    async def _error(self, code: str, message: Any, **extra: Any) -> None:
        with translation.override(getattr(self, "language", None)):
            text = str(message)
        await self.send_json({"type": "error", "code": code, "message": text, **extra})

    # --- Events from the channel layer ------------------------------------------

    async def forward(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])

    async def session_close(self, message: dict[str, Any]) -> None:
        """The member was suspended or deleted their account: end the connection."""
        await self.close(code=CLOSE_FORBIDDEN)


def _load_member(member_id: int):  # type: ignore[no-untyped-def]
    """The member and the id of their newest notification: where catching up starts."""
    from community.models import Member
    from notifications.models import Notification

    member = Member.objects.filter(pk=member_id, is_active=True).first()
    if member is None:
        return None, 0
    last = Notification.objects.filter(recipient_id=member_id).order_by("-id").values_list("id", flat=True).first()
    return member, last or 0


def _may_watch_thread(member_id: int, thread_id: int) -> bool:
    """The same check as the thread page (threads.permissions.access_thread)."""
    from community.models import Member
    from threads.models import Thread

    member = Member.objects.get(pk=member_id)
    thread = Thread.objects.select_related("group").filter(pk=thread_id).first()
    return thread is not None and groups.may_join_thread_group(member, thread)


def _moderation_groups(member_id: int) -> list[int]:
    """The groups whose queue counts the member may follow (notifications.groups)."""
    from community.models import Group, Member

    member = Member.objects.filter(pk=member_id, is_active=True).first()
    if member is None:
        return []
    candidates = Group.objects.values_list("pk", flat=True) if member.is_staff else member.roles.moderated_group_ids
    return sorted(group_id for group_id in candidates if groups.may_join_moderation_group(member, group_id))
