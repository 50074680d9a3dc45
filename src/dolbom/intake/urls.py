from django.urls import path

from dolbom.intake import views

urlpatterns = [
    path("referrals/", views.referral_list, name="referrals"),
    path("referrals/new/", views.referral_new, name="referral_new"),
]
