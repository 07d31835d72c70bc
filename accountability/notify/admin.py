from django.contrib import admin, messages

from accountability.notify.models import Notification, PagerDutyIntegration
from accountability.notify.preview import notification_preview
from accountability.notify.services import notification_resend


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "trigger",
        "channel",
        "recipient",
        "subject",
        "status",
        "attempts",
        "sent_at",
    )
    list_filter = ("status", "channel", "trigger")
    search_fields = ("recipient", "subject", "key")
    readonly_fields = ["preview", *(field.name for field in Notification._meta.fields)]
    actions = ["resend"]

    @admin.display(description="As it lands")
    def preview(self, notification: Notification):
        if notification.channel in (
            Notification.Channel.GITHUB_STATUS,
            Notification.Channel.PAGERDUTY_CHANGE,
        ):
            return "—"  # structured (JSON) for an API: its body below is what was sent
        return notification_preview(notification)

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Send again")
    def resend(self, request, queryset):
        for notification in queryset:
            notification_resend(notification=notification)
        self.message_user(request, f"{queryset.count()} notification(s) queued again.", messages.SUCCESS)


@admin.register(PagerDutyIntegration)
class PagerDutyIntegrationAdmin(admin.ModelAdmin):
    list_display = ("service",)
    autocomplete_fields = ("service",)
    search_fields = ("service__name", "service__slug")
