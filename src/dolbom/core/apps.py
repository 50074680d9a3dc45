from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "dolbom.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from dolbom.core import access_audit  # noqa: F401  (connects the logout receiver)
