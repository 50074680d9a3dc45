"""The routes of eligibility, included by src/dolbom/urls.py."""

from django.urls import path

from dolbom.eligibility import views

urlpatterns = [
    path("households/<int:household_id>/eligibility/new/", views.check_new, name="eligibility_new"),
    path("eligibility/<int:check_id>/", views.check_detail, name="eligibility_check"),
]
