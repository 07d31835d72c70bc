from django.urls import path

from accountability.incidents import views

app_name = "incidents"

urlpatterns = [
    path("incidents/", views.incident_list, name="list"),
    path("incidents/<int:pk>/", views.incident_detail, name="detail"),
    path(
        "incidents/<int:pk>/suspects/<int:suspect_pk>/verdict/", views.suspect_verdict, name="suspect_verdict"
    ),
]
