from django.urls import path, re_path

from dolbom.intake.views import consultations, emergency, export, outreach, public, referrals, safety_net, work

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
    path("worklist/<int:work_item_id>/numbers/", work.show_numbers, name="work_item_numbers"),
    # The initial consultation, the needs assessment and the decision (views/consultations.py).
    path("worklist/<int:work_item_id>/consultation/", consultations.consultation_new, name="consultation_new"),
    path(
        "households/<int:household_id>/consultations/",
        consultations.household_consultations,
        name="household_consultations",
    ),
    path("households/<int:household_id>/consultations/new/", consultations.walk_in_new, name="consultation_walk_in"),
    path("consultations/<int:consultation_id>/", consultations.consultation_detail, name="consultation_detail"),
    path(
        "consultations/<int:consultation_id>/numbers/",
        consultations.consultation_numbers,
        name="consultation_numbers",
    ),
    path(
        "consultations/<int:consultation_id>/correct/",
        consultations.consultation_correct,
        name="consultation_correct",
    ),
    path("consultations/<int:consultation_id>/assessment/", consultations.assessment_new, name="assessment_new"),
    path("consultations/<int:consultation_id>/decision/", consultations.decision_new, name="decision_new"),
    path("decisions/<int:decision_id>/withdraw/", consultations.decision_withdraw, name="decision_withdraw"),
]

# Emergency support (긴급복지지원).
urlpatterns += [
    path("emergency/", emergency.support_list, name="emergency_list"),
    path("households/<int:household_id>/emergency/new/", emergency.support_new, name="emergency_new"),
    path("emergency/<int:support_id>/", emergency.support_detail, name="emergency_detail"),
    path("emergency/<int:support_id>/check/", emergency.check, name="emergency_check"),
    path("emergency/<int:support_id>/decide/", emergency.decide, name="emergency_decide"),
    path("emergency/<int:support_id>/give/", emergency.give, name="emergency_give"),
    path("emergency/<int:support_id>/follow-up/", emergency.follow_up, name="emergency_follow_up"),
    path("emergency/<int:support_id>/review/", emergency.review, name="emergency_review"),
    path("emergency/<int:support_id>/assign/", emergency.assign, name="emergency_assign"),
    path("emergency/<int:support_id>/numbers/", emergency.show_numbers, name="emergency_numbers"),
]

urlpatterns += [
    # The public report form, open without login, at a short address for posters.
    path("report/", public.report, name="public_report"),
    path("report/status/", public.report_status, name="public_status"),
    # django-simple-captcha's widget finds its picture by this route name.
    re_path(r"^report/challenge/(?P<key>\w{1,40})/$", public.challenge_image, name="captcha-image"),
    re_path(r"^report/challenge/(?P<key>\w{1,40})/audio/$", public.challenge_audio, name="public_challenge_audio"),
    # The safety net (인적안전망).
    path("safety-net/", safety_net.members, name="safety_net"),
    path("safety-net/new/", safety_net.member_new, name="safety_net_new"),
    path("safety-net/activity/", safety_net.activity, name="safety_net_activity"),
    path("safety-net/<int:member_id>/", safety_net.member, name="safety_net_member"),
    path("safety-net/<int:member_id>/end/", safety_net.member_end, name="safety_net_member_end"),
]

# Outreach events (찾아가는 복지상담) and survey campaigns (전수조사).
urlpatterns += [
    path("events/", outreach.event_list, name="event_list"),
    path("events/new/", outreach.event_new, name="event_new"),
    path("events/<int:event_id>/", outreach.event_detail, name="event_detail"),
    path("events/<int:event_id>/figures/", outreach.event_figures, name="event_figures"),
    path("events/<int:event_id>/contacts/new/", outreach.event_contact_new, name="event_contact_new"),
    path("campaigns/", outreach.campaign_list, name="campaign_list"),
    path("campaigns/new/", outreach.campaign_new, name="campaign_new"),
    path("campaigns/<int:campaign_id>/", outreach.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:campaign_id>/launch/", outreach.campaign_launch, name="campaign_launch"),
]

# The visit lists as Excel (after a reason) and as a page to print on A4, with the list's own filters.
urlpatterns += [
    path("worklist/export/", export.worklist_export, name="worklist_export"),
    path("worklist/print/", export.worklist_print, name="worklist_print"),
    path("referrals/export/", export.referrals_export, name="referrals_export"),
    path("referrals/print/", export.referrals_print, name="referrals_print"),
]
