from django.urls import path

from accountability.changes import views

app_name = "changes"

urlpatterns = [
    path("review/", views.review, name="review"),
    path("review/gaps/", views.gaps, name="gaps"),
    path("review/gaps/<int:pk>/acknowledge/", views.gap_acknowledge_view, name="gap_acknowledge"),
    path("review/metrics/", views.metrics, name="metrics"),
    path("my/signoffs/", views.my_signoffs, name="my_signoffs"),
    path("changes/<int:pk>/", views.change_detail, name="detail"),
    path("changes/<int:pk>/sign/", views.change_sign, name="sign"),
    path("changes/<int:pk>/revoke/", views.change_revoke, name="revoke"),
]
