from django.contrib import admin

from accountability.incidents.models import Incident, IncidentEvent, SuspectChange


class IncidentEventInline(admin.TabularInline):
    model = IncidentEvent
    extra = 0


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["title", "severity", "status", "started_at", "resolved_at", "source", "external_id"]
    list_filter = ["status", "severity", "source", "environment"]
    search_fields = ["title", "external_id"]
    autocomplete_fields = ["services", "commander"]
    date_hierarchy = "started_at"
    inlines = [IncidentEventInline]


@admin.register(IncidentEvent)
class IncidentEventAdmin(admin.ModelAdmin):
    list_display = ["incident", "at", "kind", "actor"]
    raw_id_fields = ["incident"]


@admin.register(SuspectChange)
class SuspectChangeAdmin(admin.ModelAdmin):
    list_display = ["incident", "rank", "change", "score", "verdict", "verdict_by"]
    list_filter = ["verdict"]
    raw_id_fields = ["incident", "change", "verdict_by"]
