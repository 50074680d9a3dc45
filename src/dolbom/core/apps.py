from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "dolbom.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.core import checks

        from dolbom.core import access_audit  # noqa: F401  (connects the logout receiver)
        from dolbom.core.rekey import check_data_keys, check_key_format

        checks.register(check_key_format)
        # Reads the database (a grouped query per encrypted column): only `check --deploy`, and the server's start.
        checks.register(check_data_keys, deploy=True)
