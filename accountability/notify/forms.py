from zoneinfo import available_timezones

from django import forms

from accountability.notify.models import Notification, NotificationSettings
from accountability.notify.services import PERSONAL_TRIGGERS


class NotificationSettingsForm(forms.ModelForm):
    muted_triggers = forms.MultipleChoiceField(
        label="Do not send me",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(trigger.value, trigger.label) for trigger in PERSONAL_TRIGGERS],
    )
    time_zone = forms.ChoiceField(choices=[(zone, zone) for zone in sorted(available_timezones())])

    class Meta:
        model = NotificationSettings
        fields = ["muted_triggers", "quiet_from", "quiet_until", "time_zone"]
        labels = {"quiet_from": "Quiet hours from", "quiet_until": "until"}
        widgets = {
            "quiet_from": forms.TimeInput(attrs={"type": "time"}),
            "quiet_until": forms.TimeInput(attrs={"type": "time"}),
        }

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("quiet_from") is None) != (cleaned.get("quiet_until") is None):
            raise forms.ValidationError("Give both ends of your quiet hours, or neither.")
        return cleaned


INCIDENTS_ALWAYS = f"{Notification.Trigger.INCIDENT.label.capitalize()}s always reach your team's channel."
