"""The routes of case management, included by src/dolbom/urls.py."""

from django.urls import path

from dolbom.cases.views import conferences

urlpatterns = [
    path("conferences/", conferences.conference_list, name="conference_list"),
    path("conferences/new/", conferences.conference_new, name="conference_new"),
    path("conferences/<int:conference_id>/", conferences.conference_detail, name="conference_detail"),
    path("conferences/<int:conference_id>/attendees/", conferences.add_attendee, name="conference_attendee"),
    path("conferences/<int:conference_id>/agenda/", conferences.put_on_agenda, name="conference_agenda"),
    path("conferences/<int:conference_id>/held/", conferences.hold, name="conference_hold"),
    path(
        "conferences/<int:conference_id>/agenda/<int:item_id>/decision/",
        conferences.decide,
        name="conference_decide",
    ),
    path("conferences/<int:conference_id>/close/", conferences.close_minutes, name="conference_close"),
    path("conferences/<int:conference_id>/minutes.pdf", conferences.minutes_pdf, name="conference_minutes"),
]
