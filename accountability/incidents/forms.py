from django import forms

from accountability.incidents.models import SuspectChange


class VerdictForm(forms.Form):
    """Confirm cause, rule out, or undo ("none"). A verdict is recorded only when `sure` is ticked: the first
    post asks once, on the page itself, so the question works without JavaScript."""

    verdict = forms.ChoiceField(
        choices=[
            (SuspectChange.Verdict.CONFIRMED, "Confirm cause"),
            (SuspectChange.Verdict.RULED_OUT, "Rule out"),
            (SuspectChange.Verdict.NONE, "Undo"),
        ]
    )
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    sure = forms.BooleanField(required=False)
