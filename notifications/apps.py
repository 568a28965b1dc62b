from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from community.metrics import register_collector
        from notifications import receivers  # noqa: F401  (connects the receivers)
        from notifications.metrics import OutboxCollector

        register_collector("outbox", OutboxCollector())
