from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "dolbom.intake"
    label = "intake"
    verbose_name = _("Intake and outreach")

    def ready(self) -> None:
        from dolbom.discovery.signals import round_listed, round_withdrawn  # after the app registry is ready
        from dolbom.intake import jobs  # noqa: F401  (registers intake's kinds of job)
        from dolbom.intake.services.work import list_round, unlist_round

        # A round's lists go on the worklist inside the round's own transaction (discovery sends, never imports).
        def put_on_worklist(sender: object, round_id: int, **kwargs: object) -> None:
            list_round(round_id=round_id)

        def take_off_worklist(sender: object, round_id: int, **kwargs: object) -> None:
            unlist_round(round_id=round_id)

        round_listed.connect(put_on_worklist, weak=False, dispatch_uid="intake.list_round")
        round_withdrawn.connect(take_off_worklist, weak=False, dispatch_uid="intake.unlist_round")
