from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EligibilityConfig(AppConfig):
    name = "dolbom.eligibility"
    label = "eligibility"
    verbose_name = _("Eligibility")

    def ready(self) -> None:
        # The latest calculation beside a consultation: intake sends, never imports eligibility.
        from dolbom.eligibility.services import consultation_summary
        from dolbom.intake.signals import consultation_shown

        def summary(sender: object, user: object, consultation: object, **kwargs: object) -> object:
            return consultation_summary(user=user, consultation=consultation)

        consultation_shown.connect(summary, weak=False, dispatch_uid="eligibility.consultation_summary")
