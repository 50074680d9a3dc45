from django.urls import path

from dolbom.registry import views

# The household page (`households/<id>/`) is the shell's: it shows what every domain knows of the household.
urlpatterns = [
    path("households/", views.household_search, name="household_search"),
    path("households/<int:household_id>/reveal/", views.reveal_household, name="reveal_household"),
    path("persons/<int:person_id>/reveal/", views.reveal_person, name="reveal_person"),
]
