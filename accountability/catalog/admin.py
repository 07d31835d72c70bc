from django.contrib import admin

from accountability.catalog.models import (
    Dependency,
    EnvironmentMapping,
    Membership,
    OnCallShift,
    PathOwner,
    Person,
    Service,
    Team,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["person", "team"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "parent", "chat_channel", "record_source"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["person", "team", "role"]
    list_filter = ["role", "team"]
    search_fields = ["person__name", "team__name"]
    autocomplete_fields = ["person", "team"]
    list_select_related = ["person", "team"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "github_login", "pagerduty_user_id", "is_active", "departed_at"]
    list_filter = ["is_active", "record_source"]
    search_fields = ["name", "email", "github_login", "pagerduty_user_id"]
    raw_id_fields = ["user"]
    inlines = [MembershipInline]


class DependencyInline(admin.TabularInline):
    model = Dependency
    fk_name = "from_service"
    extra = 0
    autocomplete_fields = ["to_service"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "tier",
        "kind",
        "owner_team",
        "owner_of_record",
        "lifecycle",
        "dependencies_known",
    ]
    list_filter = ["tier", "kind", "lifecycle", "customer_facing", "data_sensitivity", "record_source"]
    search_fields = ["name", "slug", "pagerduty_service_id"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["owner_team", "owner_of_record"]
    inlines = [DependencyInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "repositories" in form.changed_data:
            # Claiming a repository replays the deliveries ignored for it (analysis/unclaimed.py).
            from accountability.followups import analysis_schedule_unclaimed

            analysis_schedule_unclaimed()


@admin.register(Dependency)
class DependencyAdmin(admin.ModelAdmin):
    list_display = ["from_service", "to_service", "kind", "criticality", "record_source"]
    list_filter = ["kind", "criticality"]
    autocomplete_fields = ["from_service", "to_service"]
    list_select_related = ["from_service", "to_service"]


@admin.register(OnCallShift)
class OnCallShiftAdmin(admin.ModelAdmin):
    list_display = ["person", "team", "escalation_level", "start", "end"]
    list_filter = ["team"]
    autocomplete_fields = ["person", "team"]
    list_select_related = ["person", "team"]
    date_hierarchy = "start"


@admin.register(PathOwner)
class PathOwnerAdmin(admin.ModelAdmin):
    list_display = ["repository", "line", "pattern", "owners"]
    search_fields = ["repository", "pattern"]


@admin.register(EnvironmentMapping)
class EnvironmentMappingAdmin(admin.ModelAdmin):
    list_display = ["pattern", "environment", "note", "updated_at"]
    list_filter = ["environment"]
    search_fields = ["pattern", "note"]
