from django.urls import include, path

from dolbom.core import views

urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
    path("", include("dolbom.core.jobs.urls")),
]
