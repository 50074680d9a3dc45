from django.urls import path

from dolbom.core import views

urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
]
