from django.urls import path

from dolbom.registry import views

urlpatterns = [
    path("households/", views.household_search, name="household_search"),
    path("households/<int:household_id>/", views.household_detail, name="household_detail"),
    path("persons/<int:person_id>/reveal/", views.reveal_person, name="reveal_person"),
]
