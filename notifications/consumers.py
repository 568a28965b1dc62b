"""The one WebSocket per browser tab, at /ws/.

It only authenticates, joins the groups the member may join, forwards events and leaves
on disconnect: no database writes, no "everyone" group. What the member may read is
decided again for every thread event and after every change of their rights
(``notifications/live.py`` says how and why).
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from community.metrics import CHANNEL_LAYER_ERRORS, WEBSOCKETS_ACCEPTED, WEBSOCKETS_OPEN
from community.permissions import may_moderate
from community.twofactor.state import lacks_second_factor
from notifications import groups, layerwatch, live, meetinglive, push

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
MAX_WATCHED_THREADS = 20
MAX_WATCHED_MEETINGS = 5


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.joined: set[str] = set()
        self.threads: set[int] = set()
        self.moderated: set[int] = set()
        # Meetings followed live: id -> (the meeting's access_version when decided, registered then).
        self.meetings: dict[int, tuple[int, bool]] = {}
        user = self.scope.get("user")
        # Accept first: a close before accepting loses its code in the handshake.
        await self.accept()
        WEBSOCKETS_ACCEPTED.inc()
        WEBSOCKETS_OPEN.inc()
        self.counted = True
        session = self.scope.get("session")
        session_key = getattr(session, "session_key", None)
        if user is None or not user.is_authenticated or not session_key:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        member, last_notification = await database_sync_to_async(_load_member)(user.pk)
        if member is None or not member.is_participant:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if await database_sync_to_async(lacks_second_factor)(member, session):
            # The session has yet to pass its second factor: nothing live until it has.
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.member = member
        self.language = live.language_of(member)
        layerwatch.watch.add(self)
        await self._join(groups.session_group(session_key))
        await self._join(groups.member_group(member.pk))
        await self._join(groups.members_group())
        await self.send_json(
            {
                "type": "session.ready",
                "member": member.pk,
                "unread": member.unread_notifications,
                "last_notification": last_notification,
            }
        )

    #: Events decided and sent without the database.
    WITHOUT_DATABASE = {
        "forward": "forward", "forward.each": "forward_each", "thread.event": "thread_event",
        "moderation.event": "moderation_event",
        "meeting.event": "meeting_event",
    }  # fmt: skip

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels closes stale database connections (a hop to the one database thread)
        before every handler. Events reach every socket that follows a thread or meeting, a
        thousand at a time, and are decided without the database; where a handler does need
        it, ``database_sync_to_async`` closes stale connections itself. So they skip that hop
        (with a thousand sockets it was most of the time a reply took to reach them)."""
        handler = self.WITHOUT_DATABASE.get(message.get("type", ""))
        if handler is not None:
            # While the layer is known to have lost messages, an event that does arrive is
            # held back: passing it on would move the page's last notification id past one
            # that was lost, and the catch-up after the resync (notifications/layerwatch.py)
            # would then skip it. The catch-up delivers this one too.
            if not layerwatch.watch.broken:
                await getattr(self, handler)(message)
        else:
            await super().dispatch(message)

    async def disconnect(self, code: int) -> None:
        layerwatch.watch.discard(self)
        if getattr(self, "counted", False):
            WEBSOCKETS_OPEN.dec()
            self.counted = False
        for group in list(getattr(self, "joined", ())):
            await self._layer("group_discard", group)
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
                await self._leave_thread(thread_id)
                await self.send_json({"type": "thread.unwatched", "thread": thread_id})
        elif kind == "moderation.watch":
            await self._watch_moderation()
        elif kind == "meeting.watch":
            await self._watch_meeting(content.get("meeting"))
        elif kind == "meeting.unwatch":
            meeting_id = content.get("meeting")
            if isinstance(meeting_id, int):
                await self._leave_meeting(meeting_id)
                await self.send_json({"type": "meeting.unwatched", "meeting": meeting_id})
        else:
            await self._error("unknown", _("Unknown message."))

    async def _watch_thread(self, thread_id: Any) -> None:
        if not isinstance(thread_id, int) or isinstance(thread_id, bool):
            await self._error("invalid", _("Which thread?"))
            return
        if thread_id not in self.threads and len(self.threads) >= MAX_WATCHED_THREADS:
            await self._error("too_many", _("Too many threads open at once on this connection."))
            return
        if not await database_sync_to_async(live.readable_thread_ids)(self.member, [thread_id]):
            await self._error("forbidden", _("You cannot follow this thread."), thread=thread_id)
            return
        self.threads.add(thread_id)
        await self._join(groups.thread_group(thread_id))
        await self.send_json({"type": "thread.watching", "thread": thread_id})

    async def _watch_moderation(self) -> None:
        """Join the moderation group of every group the member moderates (staff: all),
        each after its own permission check, for live queue counts."""
        group_ids = await database_sync_to_async(_moderation_groups)(self.member)
        if not group_ids:
            await self._error("forbidden", _("You have no moderation queues."))
            return
        for group_id in group_ids:
            self.moderated.add(group_id)
            await self._join(groups.moderation_group(group_id))
        await self.send_json({"type": "moderation.watching", "groups": group_ids})

    async def _watch_meeting(self, meeting_id: Any) -> None:
        """Join a meeting's live Q&A after ``groups.may_join_meeting_group``: registered members and organisers."""
        if not isinstance(meeting_id, int) or isinstance(meeting_id, bool):
            await self._error("invalid", _("Which meeting?"))
            return
        if meeting_id not in self.meetings and len(self.meetings) >= MAX_WATCHED_MEETINGS:
            await self._error("too_many", _("Too many meetings open at once on this connection."))
            return
        decided = await database_sync_to_async(meetinglive.decide)(self.member, meeting_id)
        if decided is None:
            await self._error("forbidden", _("You cannot follow this meeting."), meeting=meeting_id)
            return
        self.meetings[meeting_id] = decided
        await self._join(groups.meeting_group(meeting_id))
        await self.send_json({"type": "meeting.watching", "meeting": meeting_id})

    async def _leave_meeting(self, meeting_id: int) -> None:
        self.meetings.pop(meeting_id, None)
        await self._leave(groups.meeting_group(meeting_id))

    async def _lose_meeting(self, meeting_id: int) -> None:
        """The member may no longer follow the meeting: leave it, and say only that."""
        await self._leave_meeting(meeting_id)
        await self.send_json({"type": "meeting.unavailable", "meeting": meeting_id})

    async def _join(self, group: str) -> None:
        await self._layer("group_add", group)
        self.joined.add(group)

    async def _leave(self, group: str) -> None:
        if group in self.joined:
            await self._layer("group_discard", group)
            self.joined.discard(group)

    async def _layer(self, operation: str, group: str) -> None:
        """``group_add`` or ``group_discard``; a failure is counted (``/metrics``), then raised."""
        try:
            await getattr(self.channel_layer, operation)(group, self.channel_name)
        except Exception:
            CHANNEL_LAYER_ERRORS.labels(operation).inc()
            raise

    async def _leave_thread(self, thread_id: int) -> None:
        self.threads.discard(thread_id)
        await self._leave(groups.thread_group(thread_id))

    async def _lose_thread(self, thread_id: int, *, hidden: bool) -> None:
        """The member may no longer read the thread: leave it, and say only that."""
        await self._leave_thread(thread_id)
        await self.send_json({"type": "thread.hidden" if hidden else "thread.unavailable", "thread": thread_id})

    async def _error(self, code: str, message: Any, **extra: Any) -> None:
        with translation.override(getattr(self, "language", None)):
            text = str(message)
        await self.send_json({"type": "error", "code": code, "message": text, **extra})

    # --- Messages from the channel layer ------------------------------------------

    async def forward(self, message: dict[str, Any]) -> None:
        """An event for this member alone (their own group): sent as it is."""
        await self.send_json(message["event"])

    async def forward_each(self, message: dict[str, Any]) -> None:
        """Personal events of many members in one message (``push.publish_to_members``):
        this member's own, if there is one, sent as it is; nothing of the others."""
        event = push.member_event(message, self.member.pk)
        if event is not None:
            await self.send_json(event)

    async def thread_event(self, message: dict[str, Any]) -> None:
        """An event of a followed thread, decided again for this member before it goes out."""
        facts = message["thread"]
        thread_id = facts["id"]
        if thread_id not in self.threads:
            return  # left meanwhile; the layer may still deliver what was on its way
        event = live.for_viewer(self.member, message, self.language)
        if event is None:
            await self._lose_thread(thread_id, hidden=facts["hidden"])
        elif isinstance(event, str):
            await self.send(text_data=event)  # serialised once for every viewer like this one
        elif event:
            await self.send_json(event)

    async def meeting_event(self, message: dict[str, Any]) -> None:
        """An event of a followed meeting, decided again for this member before it goes out:
        at once on the event's facts, and from the database when someone lost access since
        this socket decided (``notifications/meetinglive.py``)."""
        facts = message["meeting"]
        meeting_id = facts["id"]
        decided = self.meetings.get(meeting_id)
        if decided is None:
            return  # left meanwhile
        if facts["access"] != decided[0]:
            decided = await database_sync_to_async(meetinglive.decide)(self.member, meeting_id)
            if decided is None:
                await self._lose_meeting(meeting_id)
                return
            self.meetings[meeting_id] = decided
        event = meetinglive.for_viewer(self.member, message, self.language, registered=decided[1])
        if event is None:
            await self._lose_meeting(meeting_id)
        elif event:
            await self.send_json(event)

    async def meeting_access(self, message: dict[str, Any]) -> None:
        """The member's registration for a meeting changed: decide again for that meeting."""
        meeting_id = message["meeting"]
        if meeting_id in self.meetings:
            await self._decide_meetings_again([meeting_id])

    async def _decide_meetings_again(self, meeting_ids: list[int]) -> None:
        for meeting_id in meeting_ids:
            decided = await database_sync_to_async(meetinglive.decide)(self.member, meeting_id)
            if decided is None:
                await self._lose_meeting(meeting_id)
            else:
                self.meetings[meeting_id] = decided

    async def moderation_event(self, message: dict[str, Any]) -> None:
        group_id = message["group"]
        if group_id not in self.moderated:
            return
        if not may_moderate(self.member, "watch_queue", group_id=group_id):
            self.moderated.discard(group_id)
            await self._leave(groups.moderation_group(group_id))
            return
        await self.send_json(message["event"])

    async def access_changed(self, message: dict[str, Any]) -> None:
        """The member's rights changed: reload them, then keep only what they may still follow."""
        if not hasattr(self, "member"):
            return
        member, readable, moderated = await database_sync_to_async(_decide_again)(self.member.pk, set(self.threads))
        if member is None or not member.is_participant:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if await database_sync_to_async(lacks_second_factor)(member, self.scope["session"]):
            # Made a moderator in a session that never passed a second factor.
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.member = member
        self.language = live.language_of(member)
        for thread_id in sorted(self.threads - readable):
            await self._lose_thread(thread_id, hidden=False)
        lost_queues = self.moderated - set(moderated)
        for group_id in sorted(lost_queues):
            self.moderated.discard(group_id)
            await self._leave(groups.moderation_group(group_id))
        if lost_queues:
            await self.send_json({"type": "moderation.watching", "groups": sorted(self.moderated)})
        await self._decide_meetings_again(sorted(self.meetings))

    async def session_close(self, message: dict[str, Any]) -> None:
        """The session ended (logout, password change: 4401) or the member may no longer
        take part (suspended, account deleted: 4403): end the connection."""
        await self.close(code=message.get("code", CLOSE_FORBIDDEN))


def _load_member(member_id: int):
    """The member with their roles, and the id of their newest notification: where
    catching up starts."""
    from community.models import Member
    from notifications.models import Notification

    member = Member.objects.filter(pk=member_id, is_active=True).first()
    if member is None:
        return None, 0
    member.roles  # noqa: B018 - loaded here, in the database thread, not in the event loop
    last = Notification.objects.filter(recipient_id=member_id).order_by("-id").values_list("id", flat=True).first()
    return member, last or 0


def _decide_again(member_id: int, thread_ids: set[int]):
    """The member as they are now, the threads of ``thread_ids`` they may read and the
    groups whose queues they may follow."""
    member, _last = _load_member(member_id)
    if member is None or not member.is_participant:
        return member, set(), []
    return member, live.readable_thread_ids(member, thread_ids), _moderation_groups(member)


def _moderation_groups(member) -> list[int]:
    """The groups whose queue counts the member may follow (notifications.groups)."""
    from community.models import Group

    if not member.is_participant:
        return []
    candidates = Group.objects.values_list("pk", flat=True) if member.is_staff else member.roles.moderated_group_ids
    return sorted(group_id for group_id in candidates if groups.may_join_moderation_group(member, group_id))
