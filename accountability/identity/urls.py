from django.urls import path

from accountability.identity import views

app_name = "identity"

urlpatterns = [
    path("oidc/login/", views.ProviderLogin.as_view(), name="login"),
    path("oidc/callback/", views.ProviderCallback.as_view(), name="callback"),
]
