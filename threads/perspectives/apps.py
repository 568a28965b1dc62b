from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PerspectivesConfig(AppConfig):
    name = "threads.perspectives"
    label = "perspectives"
    verbose_name = _("Handelingsperspectieven")

    def ready(self) -> None:
        from threads import demo
        from threads.perspectives import blocks, receivers  # noqa: F401  (privacy receivers)
        from threads.perspectives.demo import seed_perspectives

        blocks.register_blocks()
        demo.register("perspectives", seed_perspectives)
