from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "dolbom.intake"
    label = "intake"
    verbose_name = _("Intake and outreach")

    def ready(self) -> None:
        from dolbom.discovery.signals import (  # after the app registry is ready
            referred_households,
            round_listed,
            round_withdrawn,
        )
        from dolbom.intake import jobs  # noqa: F401  (registers intake's kinds of job)
        from dolbom.intake.selectors import open_referral_households
        from dolbom.intake.services.work import list_round, unlist_round

        # A round's lists go on the worklist inside the round's own transaction (discovery sends, never imports).
        def put_on_worklist(sender: object, round_id: int, **kwargs: object) -> None:
            list_round(round_id=round_id)

        def take_off_worklist(sender: object, round_id: int, **kwargs: object) -> None:
            unlist_round(round_id=round_id)

        round_listed.connect(put_on_worklist, weak=False, dispatch_uid="intake.list_round")
        round_withdrawn.connect(take_off_worklist, weak=False, dispatch_uid="intake.unlist_round")

        def referred(sender: object, district_code: str, **kwargs: object) -> set[int]:
            return open_referral_households(district_code)

        referred_households.connect(referred, weak=False, dispatch_uid="intake.referred_households")
