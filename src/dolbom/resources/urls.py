from django.urls import path

from dolbom.resources.views import directory

urlpatterns = [
    path("", directory.directory, name="resources_directory"),
    path("services/new/", directory.service_new, name="resources_service_new"),
    path("services/<int:service_id>/", directory.service_detail, name="resources_service"),
    path("services/<int:service_id>/edit/", directory.service_edit, name="resources_service_edit"),
    path("providers/new/", directory.organization_new, name="resources_organization_new"),
    path("agreements/", directory.agreements, name="resources_agreements"),
    path("agreements/new/", directory.agreement_new, name="resources_agreement_new"),
]
