"""The notifications app's pages: the notification list and watch levels
(``notifications``), the settings page and unsubscribing (``settings``)."""

from notifications.views.notifications import mark_all_read, notification_list, open_notification, set_watch, since
from notifications.views.settings import email_settings, unsubscribe

__all__ = [
    "email_settings",
    "mark_all_read",
    "notification_list",
    "open_notification",
    "set_watch",
    "since",
    "unsubscribe",
]
