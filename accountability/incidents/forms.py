from django import forms

from accountability.incidents.models import SuspectChange


class VerdictForm(forms.Form):
    verdict = forms.ChoiceField(
        choices=[
            (SuspectChange.Verdict.CONFIRMED, "Confirm cause"),
            (SuspectChange.Verdict.RULED_OUT, "Rule out"),
        ]
    )
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
