from django.contrib import admin

from accountability.ingest.models import Delivery, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "enabled", "pull_every_minutes", "last_success_at", "last_error_at"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["external_id", "source", "event_type", "status", "attempts", "received_at"]
    list_filter = ["status", "source", "event_type"]
    search_fields = ["external_id"]
    readonly_fields = ["received_at"]
    list_select_related = ["source"]
