import json

from django import forms
from django.contrib import admin

from accountability.analysis.models import (
    BlastRadius,
    Gap,
    MetricSnapshot,
    Policy,
    PolicyResult,
    RiskAssessment,
)
from accountability.analysis.policy import policy_publish, policy_rules_validate


class PolicyForm(forms.ModelForm):
    class Meta:
        model = Policy
        fields = ["name", "rules", "note"]

    def clean_rules(self):
        rules = self.cleaned_data["rules"]
        try:
            policy_rules_validate(rules=rules)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        return rules


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    """Saving a policy never edits a version: it publishes the form's content as the next, active one."""

    form = PolicyForm
    list_display = ["version", "name", "is_active", "created_by", "created_at"]
    readonly_fields = ["version", "is_active", "created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        published = policy_publish(
            rules=form.cleaned_data["rules"],
            name=form.cleaned_data["name"],
            note=form.cleaned_data["note"],
            user=request.user,
        )
        obj.pk, obj.version = published.pk, published.version

    def has_delete_permission(self, request, obj=None):
        # Results point at the version they were evaluated with.
        return False

    def get_changeform_initial_data(self, request):
        active = Policy.objects.filter(is_active=True).first()
        if active is None:
            return super().get_changeform_initial_data(request)
        return {"name": active.name, "rules": json.dumps(active.rules)}


@admin.register(Gap)
class GapAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "severity",
        "sentence",
        "first_seen",
        "last_seen",
        "resolved_at",
        "acknowledged_by",
        "acknowledged_by_person",
    ]
    list_filter = ["code", "severity", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["sentence"]
    raw_id_fields = [
        "service",
        "team",
        "change",
        "person",
        "accountable_team",
        "acknowledged_by",
        "acknowledged_by_person",
    ]


@admin.register(BlastRadius)
class BlastRadiusAdmin(admin.ModelAdmin):
    list_display = ["change", "score", "impacted_count", "unknown", "computed_at"]
    raw_id_fields = ["change"]


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(admin.ModelAdmin):
    list_display = ["change", "score", "computed_at"]
    raw_id_fields = ["change"]


@admin.register(PolicyResult)
class PolicyResultAdmin(admin.ModelAdmin):
    list_display = ["change", "environment", "decision", "policy_version", "computed_at"]
    list_filter = ["decision", "environment"]
    raw_id_fields = ["change", "policy"]


@admin.register(MetricSnapshot)
class MetricSnapshotAdmin(admin.ModelAdmin):
    list_display = ["scope", "team", "service", "period_start", "ai_level", "deployments", "failure_rate"]
    list_filter = ["scope", "ai_level"]
    raw_id_fields = ["team", "service"]
