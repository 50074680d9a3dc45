from django.urls import path

from dolbom.registry import views

# The household page (`households/<id>/`) is the shell's: it shows what every domain knows of the household.
urlpatterns = [
    path("households/", views.household_search, name="household_search"),
    path("households/new/", views.household_new, name="household_new"),
    path("households/<int:household_id>/reveal/", views.reveal_household, name="reveal_household"),
    path("households/<int:household_id>/members/new/", views.member_add, name="member_add"),
    path("persons/<int:person_id>/reveal/", views.reveal_person, name="reveal_person"),
    path("persons/<int:person_id>/move/", views.person_move, name="person_move"),
    path("persons/<int:person_id>/move-out/", views.person_move_out, name="person_move_out"),
    path("persons/<int:person_id>/split/", views.person_split, name="person_split"),
    path("persons/<int:person_id>/death/", views.person_death, name="person_death"),
    path("persons/<int:person_id>/consents/new/", views.consent_new, name="consent_new"),
    path("consents/<int:consent_id>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
]
