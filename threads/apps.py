from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ThreadsConfig(AppConfig):
    name = "threads"
    verbose_name = _("Threads")

    def ready(self) -> None:
        from threads import meetings, receivers  # noqa: F401  (connects the privacy receivers)

        meetings.connect()  # meeting blocks, themes and report threads (threads/meetings.py)
