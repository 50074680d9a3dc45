from django.urls import path

from dolbom.cases.views import cases, linkages

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
]
