"""The routes of eligibility, included by src/dolbom/urls.py."""

from django.urls import path

from dolbom.eligibility import views

urlpatterns = [
    path("households/<int:household_id>/eligibility/new/", views.check_new, name="eligibility_new"),
    path("eligibility/<int:check_id>/", views.check_detail, name="eligibility_check"),
    # Re-guidance campaigns (맞춤형 급여 안내, 위기·틈새가정 재안내) and the applications they lead to.
    path("reguidance/", views.reguidance_list, name="reguidance_list"),
    path("reguidance/<int:campaign_id>/", views.reguidance_detail, name="reguidance_detail"),
    path("reguidance/<int:campaign_id>/launch/", views.reguidance_launch, name="reguidance_launch"),
    path(
        "reguidance/<int:campaign_id>/targets/<int:target_id>/application/",
        views.application_new,
        name="reguidance_application",
    ),
    path(
        "reguidance/<int:campaign_id>/applications/<int:application_id>/outcome/",
        views.application_outcome,
        name="reguidance_outcome",
    ),
    # A household's applications (a rejection before, a benefit received) and the after-care of recipients.
    path("households/<int:household_id>/applications/", views.household_applications, name="household_applications"),
    path(
        "households/<int:household_id>/applications/<int:application_id>/outcome/",
        views.household_application_outcome,
        name="household_application_outcome",
    ),
    path("aftercare/", views.aftercare_list, name="aftercare"),
    path("aftercare/look/", views.aftercare_look, name="aftercare_look"),
    path("aftercare/grants/<int:application_id>/reverify/", views.aftercare_reverify, name="aftercare_reverify"),
    path("aftercare/reviews/<int:review_id>/decide/", views.aftercare_decide, name="aftercare_decide"),
]
