from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from accountability.ingest.models import Delivery, Source
from accountability.ingest.receiving import source_receiver_path
from accountability.ingest.services import deliveries_replay


class SourceForm(forms.ModelForm):
    """Secrets are write-only here: never rendered back, left unchanged when the field is left empty."""

    secret = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep it. A webhook source without a secret refuses every delivery.",
    )
    token = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the current token.",
    )
    clear_token = forms.BooleanField(required=False, label="Remove the token")

    class Meta:
        model = Source
        fields = [
            "kind",
            "name",
            "secret",
            "token",
            "clear_token",
            "url",
            "config",
            "enabled",
            "pull_every_minutes",
        ]

    def clean_secret(self):
        return self.cleaned_data["secret"] or self.instance.secret

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("clear_token"):
            cleaned["token"] = ""
        elif not cleaned.get("token"):
            cleaned["token"] = self.instance.token
        return cleaned


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    form = SourceForm
    list_display = ["name", "kind", "enabled", "has_secret", "receiver", "last_success_at", "last_error_at"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name"]
    readonly_fields = ["cursor", "last_success_at", "last_error", "last_error_at"]

    @admin.display(boolean=True, description="secret set")
    def has_secret(self, source: Source) -> bool:
        return bool(source.secret)

    @admin.display(description="receiver")
    def receiver(self, source: Source) -> str:
        return source_receiver_path(source=source) or "—"


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "external_id",
        "source",
        "event_type",
        "status",
        "attempts",
        "received_at",
        "short_error",
    ]
    list_filter = ["status", "source", "event_type"]
    search_fields = ["external_id", "event_type"]
    list_select_related = ["source"]
    date_hierarchy = "received_at"
    actions = ["replay"]
    fields = [
        "source",
        "external_id",
        "event_type",
        "status",
        "attempts",
        "error",
        "received_at",
        "processed_at",
        "swept_at",
        "headers",
        "body_text",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # deliveries come from senders only

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the raw record is evidence of what was sent; replay instead of editing

    @admin.display(description="error or reason")
    def short_error(self, delivery: Delivery) -> str:
        return delivery.error[:120]

    @admin.display(description="body")
    def body_text(self, delivery: Delivery) -> str:
        text = bytes(delivery.body[:100_000]).decode("utf-8", errors="replace")
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", text)

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("ingest.change_delivery")

    @admin.action(description="Replay: process the selected deliveries again", permissions=["replay"])
    def replay(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = deliveries_replay(deliveries=queryset)
        self.message_user(request, f"{count} deliveries put back to pending and enqueued.", messages.SUCCESS)
