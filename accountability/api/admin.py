from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from accountability.api.models import ApiToken, GateDecision, ProtectionRuleRequest
from accountability.api.tokens import token_create, token_revoke


class ApiTokenCreateForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=ApiToken.Scope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiToken
        fields = ["name", "scopes", "limit_teams", "limit_services"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]
    readonly_fields = [
        "name",
        "prefix",
        "scopes",
        "limit_teams",
        "limit_services",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        # A token is created from a name, scopes and limits; afterwards it can only be revoked.
        return [] if obj is None else self.readonly_fields

    def get_fields(self, request, obj=None):
        return ["name", "scopes", "limit_teams", "limit_services"] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return
        token, raw = token_create(
            name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"], created_by=request.user
        )
        obj.pk = token.pk
        obj.refresh_from_db()
        messages.warning(request, f"Token for {token.name!r} (shown once, copy it now): {raw}")

    def has_delete_permission(self, request, obj=None):
        # Revoked, never deleted: the audit trail names tokens.
        return False

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            token_revoke(token=token, revoked_by=request.user)
            revoked += 1
        self.message_user(request, f"Revoked {revoked} token(s) at {timezone.now():%Y-%m-%d %H:%M} UTC.")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what the gate answered: kept as they were, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GateDecision)
class GateDecisionAdmin(ReadOnlyAdmin):
    list_display = ["at", "decision", "service_slug", "sha", "environment", "policy_version", "requested_by"]
    list_filter = ["decision", "environment"]
    search_fields = ["service_slug", "sha", "requested_by"]
    date_hierarchy = "at"
    list_select_related = ["change"]


@admin.register(ProtectionRuleRequest)
class ProtectionRuleRequestAdmin(ReadOnlyAdmin):
    list_display = ["requested_at", "repository", "environment_name", "sha", "state", "answers"]
    list_filter = ["state"]
    search_fields = ["repository", "sha"]
    readonly_fields = ["last_decision"]
