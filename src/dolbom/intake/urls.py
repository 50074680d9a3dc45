from django.urls import path, re_path

from dolbom.intake.views import public, referrals, safety_net, work

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
