from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ThreadsConfig(AppConfig):
    name = "threads"
    verbose_name = _("Threads")

    def ready(self) -> None:
        from threads import meetings, receivers  # noqa: F401  (connects the privacy receivers)

        meetings.connect()  # meeting blocks, themes and report threads (threads/meetings.py)

        from django.db.backends.signals import connection_created

        from threads.search.fallback import register_functions

        # The search without PostgreSQL matches whole words in SQL (threads/search/fallback.py).
        connection_created.connect(register_functions, dispatch_uid="threads-search-functions")
