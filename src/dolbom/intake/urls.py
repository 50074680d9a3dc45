from django.urls import path

from dolbom.intake.views import referrals, work

urlpatterns = [
    path("referrals/", referrals.referral_list, name="referrals"),
    path("referrals/new/", referrals.referral_new, name="referral_new"),
    path("worklist/", work.worklist, name="worklist"),
    path("worklist/<int:work_item_id>/", work.work_item, name="work_item"),
    path("worklist/<int:work_item_id>/assign/", work.assign, name="work_item_assign"),
    path("worklist/<int:work_item_id>/visits/", work.record_visit, name="work_item_visit"),
    path("worklist/<int:work_item_id>/visits/<int:visit_id>/correct/", work.correct_visit, name="work_item_correct"),
    path("worklist/<int:work_item_id>/close/", work.close, name="work_item_close"),
    path("worklist/<int:work_item_id>/reopen/", work.reopen, name="work_item_reopen"),
    path("worklist/<int:work_item_id>/household/", work.link_household, name="work_item_link"),
]
