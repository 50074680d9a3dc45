"""The routes of case management, included by src/dolbom/urls.py."""

from django.urls import path

from dolbom.cases.views import cases, conferences, linkages

urlpatterns = [
    path("cases/", cases.case_list, name="case_list"),
    path("cases/candidates/open/", cases.open_candidate, name="case_open_candidate"),
    path("cases/<int:case_id>/", cases.case_detail, name="case_detail"),
    path("cases/<int:case_id>/plan/", cases.plan_new, name="case_plan_new"),
    path("cases/<int:case_id>/plan/agreement/", cases.record_agreement, name="case_plan_agreement"),
    path("cases/<int:case_id>/monitoring/", cases.record_monitoring, name="case_monitoring"),
    path("cases/<int:case_id>/phase/", cases.change_phase, name="case_phase"),
    path("cases/<int:case_id>/close/", cases.close_case, name="case_close"),
    path("cases/<int:case_id>/transfer/", cases.transfer_case, name="case_transfer"),
    path("cases/<int:case_id>/follow-up/", cases.record_follow_up, name="case_follow_up"),
    path("cases/<int:case_id>/reopen/", cases.reopen_case, name="case_reopen"),
    # Service linkages (views/linkages.py): requested from a case, answered by the provider on these pages.
    path("cases/<int:case_id>/linkages/new/", linkages.linkage_new, name="linkage_new"),
    path("linkages/", linkages.linkage_list, name="linkage_list"),
    path("linkages/<int:linkage_id>/", linkages.linkage_detail, name="linkage_detail"),
    path("linkages/<int:linkage_id>/answer/", linkages.answer, name="linkage_answer"),
    path("linkages/<int:linkage_id>/deliver/", linkages.deliver, name="linkage_deliver"),
    path("linkages/<int:linkage_id>/end/", linkages.end, name="linkage_end"),
    path("linkages/<int:linkage_id>/cancel/", linkages.cancel, name="linkage_cancel"),
    # Case conferences (views/conferences.py): planned, held, each case decided, the minutes closed and printed.
    path("conferences/", conferences.conference_list, name="conference_list"),
    path("conferences/new/", conferences.conference_new, name="conference_new"),
    path("conferences/<int:conference_id>/", conferences.conference_detail, name="conference_detail"),
    path("conferences/<int:conference_id>/attendees/", conferences.add_attendee, name="conference_attendee"),
    path("conferences/<int:conference_id>/agenda/", conferences.put_on_agenda, name="conference_agenda"),
    path("conferences/<int:conference_id>/held/", conferences.hold, name="conference_hold"),
    path(
        "conferences/<int:conference_id>/agenda/<int:item_id>/decision/",
        conferences.decide,
        name="conference_decide",
    ),
    path("conferences/<int:conference_id>/close/", conferences.close_minutes, name="conference_close"),
    path("conferences/<int:conference_id>/minutes.pdf", conferences.minutes_pdf, name="conference_minutes"),
]
