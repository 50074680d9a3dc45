from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EligibilityConfig(AppConfig):
    name = "dolbom.eligibility"
    label = "eligibility"
    verbose_name = _("Eligibility")

    def ready(self) -> None:
        from dolbom.eligibility import jobs  # noqa: F401  (registers eligibility's kinds of job)

        # The latest calculation beside a consultation: intake sends, never imports eligibility.
        from dolbom.eligibility.services import consultation_summary, work_item_reasons
        from dolbom.intake.signals import consultation_shown, work_item_shown

        def summary(sender: object, user: object, consultation: object, **kwargs: object) -> object:
            return consultation_summary(user=user, consultation=consultation)

        consultation_shown.connect(summary, weak=False, dispatch_uid="eligibility.consultation_summary")

        # Why a re-guidance put the household on the worklist, on the item's page.
        def reasons(sender: object, user: object, item: object, **kwargs: object) -> object:
            return work_item_reasons(user=user, item=item)

        work_item_shown.connect(reasons, weak=False, dispatch_uid="eligibility.work_item_reasons")
