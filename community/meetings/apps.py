from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "community.meetings"
    label = "meetings"
    verbose_name = _("Meetings")

    def ready(self) -> None:
        from community.meetings import receivers  # noqa: F401  (connects the privacy receivers)
