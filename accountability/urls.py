from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accountability.identity.views import login_page
from accountability.web.views import login_throttled

# The admin has its own login form; it is throttled like ours.
admin.site.login = login_throttled(admin.site.login)

urlpatterns = [
    # Machine traffic first: a webhook is resolved against its own prefix before the pages' patterns.
    path("webhooks/", include("accountability.ingest.urls")),
    path("api/v1/", include("accountability.api.urls")),
    path("", include("accountability.web.urls")),
    path("", include("accountability.catalog.urls")),
    path("", include("accountability.changes.urls")),
    path("", include("accountability.incidents.urls")),
    path("", include("accountability.notify.urls")),
    path("login/", login_throttled(login_page), name="login"),
    path("", include("accountability.identity.urls")),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
