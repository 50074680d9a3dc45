from django.urls import path

from dolbom.reports import views

urlpatterns = [
    path("statistics/", views.statistics, name="statistics"),
]
