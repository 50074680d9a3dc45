from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from dolbom.core import views as core_views
from dolbom.intake import views as intake_views
from dolbom.registry import views as registry_views
from dolbom.reports import views as reports_views
from dolbom.web import views as web_views

admin.site.site_header = "돌봄 관리"
admin.site.site_title = "돌봄"

urlpatterns = [
    path("", web_views.today, name="today"),
    path("accounts/login/", web_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("households/", registry_views.household_search, name="household_search"),
    path("households/<int:household_id>/", registry_views.household_detail, name="household_detail"),
    path("persons/<int:person_id>/reveal/", registry_views.reveal_person, name="reveal_person"),
    path("discovery/", include("dolbom.discovery.urls")),
    path("referrals/", intake_views.referral_list, name="referrals"),
    path("referrals/new/", intake_views.referral_new, name="referral_new"),
    path("statistics/", reports_views.statistics, name="statistics"),
    path("audit/", core_views.audit_log, name="audit_log"),
    # One login for the whole application, so that the lockout and the login audit also guard the admin.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
]

# The application's own Korean error pages (web/views.py).
handler400 = "dolbom.web.views.bad_request"
handler403 = "dolbom.web.views.permission_denied"
handler404 = "dolbom.web.views.page_not_found"
handler500 = "dolbom.web.views.server_error"
