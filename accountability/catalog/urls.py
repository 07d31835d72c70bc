from django.urls import path

from accountability.catalog import views

app_name = "catalog"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("services/<slug:slug>/", views.service_detail, name="service"),
    path("people/<str:handle>/", views.person_detail, name="person"),
    path("teams/<str:slug>/", views.team_detail, name="team"),
]
