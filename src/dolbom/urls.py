from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from dolbom.ops.health import healthz
from dolbom.web import views as web_views

admin.site.site_header = _("Dolbom administration")
admin.site.site_title = _("Dolbom")

urlpatterns = [
    path("", web_views.today, name="today"),
    path("accounts/login/", web_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The household page shows what every domain knows of a household, so it belongs to the shell.
    path("households/<int:household_id>/", web_views.household_detail, name="household_detail"),
    # Each domain owns its pages; the paths keep the addresses officers have bookmarked.
    path("", include("dolbom.registry.urls")),
    path("discovery/", include("dolbom.discovery.urls")),
    path("", include("dolbom.intake.urls")),
    path("", include("dolbom.reports.urls")),
    path("", include("dolbom.cases.urls")),
    path("resources/", include("dolbom.resources.urls")),
    path("", include("dolbom.eligibility.urls")),
    path("", include("dolbom.core.urls")),
    # One login for the whole application, so that the lockout and the login audit also guard the admin.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    # For monitoring: no login, names only which checks pass (dolbom/ops/health.py).
    path("healthz", healthz, name="healthz"),
]

# The application's own Korean error pages (web/views.py).
handler400 = "dolbom.web.views.bad_request"
handler403 = "dolbom.web.views.permission_denied"
handler404 = "dolbom.web.views.page_not_found"
handler500 = "dolbom.web.views.server_error"
