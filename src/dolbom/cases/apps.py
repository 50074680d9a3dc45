from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "dolbom.cases"
    label = "cases"
    verbose_name = _("Integrated case management")

    def ready(self) -> None:
        from dolbom.cases.selectors import open_case_households  # after the app registry is ready
        from dolbom.discovery.signals import cared_for_households

        # A household with an open case is in care: a screening round does not send an officer to its door again
        # (discovery asks, never imports).
        def in_care(sender: object, district_code: str, **kwargs: object) -> set[int]:
            return open_case_households(district_code)

        cared_for_households.connect(in_care, weak=False, dispatch_uid="cases.cared_for_households")
