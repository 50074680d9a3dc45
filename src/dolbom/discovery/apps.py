from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiscoveryConfig(AppConfig):
    name = "dolbom.discovery"
    label = "discovery"
    verbose_name = _("Discovery")

    def ready(self) -> None:
        from dolbom.discovery import jobs  # noqa: F401  (registers the discovery's kinds of job)
