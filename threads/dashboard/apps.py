from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    """The programme's view (SPEC F10): the map, participation and who is still missing.
    Nested in threads because it counts threads and questions; no models of its own."""

    name = "threads.dashboard"
    label = "dashboard"
    verbose_name = _("Programme overview")

    def ready(self) -> None:
        from threads import blocks
        from threads.dashboard import pageblocks

        blocks.register("municipality", "dashboard.similar_map", pageblocks.similar_map, order=50)
        blocks.register("group", "dashboard.origins", pageblocks.group_origins, order=50)
