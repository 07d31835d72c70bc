from django.urls import path

from accountability.notify import views

app_name = "notify"

urlpatterns = [
    path("settings/notifications/", views.notification_settings, name="settings"),
]
