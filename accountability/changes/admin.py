from django import forms
from django.contrib import admin

from accountability.changes.models import (
    AgentRule,
    AIProvenance,
    Change,
    Commit,
    Deployment,
    Evidence,
    ProvenanceHistory,
    ProvenanceRecord,
    RollbackPlan,
    SignOff,
)
from accountability.changes.registry import RegistryError, registry_file, registry_parse


class CommitInline(admin.TabularInline):
    model = Commit
    extra = 0


class DeploymentInline(admin.TabularInline):
    model = Deployment
    extra = 0
    raw_id_fields = ["deployed_by"]


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    raw_id_fields = ["recorded_by"]


@admin.register(Change)
class ChangeAdmin(admin.ModelAdmin):
    list_display = ["title", "service", "sha", "pr_number", "merged_at", "touches_schema_migration"]
    list_filter = ["touches_schema_migration", "service__tier"]
    search_fields = ["title", "sha", "repository", "service__name"]
    autocomplete_fields = ["service", "authors", "merged_by"]
    list_select_related = ["service"]
    date_hierarchy = "merged_at"
    inlines = [CommitInline, DeploymentInline, EvidenceInline]


@admin.register(Commit)
class CommitAdmin(admin.ModelAdmin):
    list_display = ["sha", "change", "author_login", "committed_at"]
    search_fields = ["sha", "message"]
    raw_id_fields = ["change"]


@admin.register(Deployment)
class DeploymentAdmin(admin.ModelAdmin):
    list_display = ["change", "environment", "status", "finished_at", "provider", "external_id"]
    list_filter = ["environment", "status", "provider"]
    raw_id_fields = ["change", "deployed_by"]
    list_select_related = ["change__service"]


@admin.register(AIProvenance)
class AIProvenanceAdmin(admin.ModelAdmin):
    list_display = ["change", "level", "ai_share", "confidence"]
    list_filter = ["level", "confidence"]
    raw_id_fields = ["change", "drivers"]
    list_select_related = ["change__service"]


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ["change", "kind", "result", "actor_login", "at", "source"]
    list_filter = ["kind", "result", "source"]
    raw_id_fields = ["change", "recorded_by"]
    list_select_related = ["change__service"]


@admin.register(ProvenanceRecord)
class ProvenanceRecordAdmin(admin.ModelAdmin):
    """The raw git-ai notes, Agent Trace records and attestations provenance is computed from."""

    list_display = ["commit_sha", "kind", "repository", "change", "recorded_by", "recorded_at"]
    list_filter = ["kind"]
    search_fields = ["commit_sha", "repository", "external_id"]
    raw_id_fields = ["change"]
    readonly_fields = ["recorded_at"]


@admin.register(RollbackPlan)
class RollbackPlanAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "change",
        "service",
        "expected_minutes",
        "data_reversible",
        "last_rehearsed_at",
    ]
    list_filter = ["strategy", "data_reversible"]
    raw_id_fields = ["change", "service", "last_rehearsed_by"]


@admin.register(SignOff)
class SignOffAdmin(admin.ModelAdmin):
    """Read-only: the ledger is append-only and entries are written by the sign-off form."""

    list_display = ["id", "change", "signer", "decision", "policy_decision", "created_at", "hash"]
    list_filter = ["decision", "policy_decision"]
    list_select_related = ["change__service", "signer"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AgentRuleForm(forms.ModelForm):
    class Meta:
        model = AgentRule
        fields = ["entry_id", "kind", "match", "source"]

    def clean(self):
        data = super().clean()
        try:
            registry_parse(registry_file(), extra_rules=[data])
        except (RegistryError, KeyError) as error:
            raise forms.ValidationError(str(error)) from None
        if data.get("entry_id") not in registry_file_ids():
            raise forms.ValidationError("entry_id must be an agent or automation id of agents.toml")
        return data


def registry_file_ids() -> set[str]:
    data = registry_file()
    return {entry["id"] for section in ("agent", "automation") for entry in data.get(section, [])}


@admin.register(AgentRule)
class AgentRuleAdmin(admin.ModelAdmin):
    """Rules added without a deploy; each changes the registry version, so recent changes are re-evaluated
    by the hourly `changes.provenance_reevaluate` (or `manage.py provenance_reevaluate` at once)."""

    form = AgentRuleForm
    list_display = ["entry_id", "kind", "match", "source", "created_by", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["entry_id", "match", "source"]
    readonly_fields = ["created_by", "updated_at"]

    def save_model(self, request, obj, form, change):
        obj.created_by = obj.created_by or request.user.get_username()
        super().save_model(request, obj, form, change)


@admin.register(ProvenanceHistory)
class ProvenanceHistoryAdmin(admin.ModelAdmin):
    list_display = ["change", "level", "tools", "registry_version", "valid_until", "replaced_by_version"]
    raw_id_fields = ["change"]
    readonly_fields = [f.name for f in ProvenanceHistory._meta.fields]
