from django import forms

from accountability.analysis.change_selectors import PERIODS, SORTS, ReviewFilters
from accountability.analysis.models import Gap
from accountability.changes.models import AIProvenance, Environment, SignOff


class ReviewFilterForm(forms.Form):
    """The risk review's filters; they live in the URL, so a bad value is dropped, never a 500."""

    team = forms.ChoiceField(required=False)
    service = forms.SlugField(required=False)
    environment = forms.ChoiceField(required=False, choices=[("", "any"), *Environment.choices])
    period = forms.ChoiceField(
        required=False, choices=[(key, f"last {key}") for key in PERIODS] + [("all", "all time")]
    )
    tier = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "any"), *[(n, f"tier {n}") for n in (1, 2, 3, 4)]],
    )
    ai_level = forms.ChoiceField(
        required=False, label="AI level", choices=[("", "any"), *AIProvenance.Level.choices]
    )
    signoff = forms.ChoiceField(
        required=False,
        label="Sign-off",
        choices=[("", "any"), ("signed", "signed"), ("unsigned", "unsigned")],
    )
    gap = forms.ChoiceField(required=False, label="Open gap", choices=[("", "any"), *Gap.Code.choices])
    risk_min = forms.IntegerField(required=False, min_value=0, max_value=100, label="Risk from")
    risk_max = forms.IntegerField(required=False, min_value=0, max_value=100, label="to")
    sort = forms.ChoiceField(required=False, choices=[(key, key) for key in SORTS])

    def __init__(self, data, *, teams: list[tuple[str, str]]):
        # The period defaults to 30 days; a bound form would otherwise show the first choice.
        data = data.copy()
        data.setdefault("period", "30d")
        super().__init__(data)
        self.fields["team"].choices = [("", "any"), *teams]

    def filters(self) -> ReviewFilters:
        data = (
            self.cleaned_data
            if self.is_valid()
            else {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        )
        values = {name: value for name, value in data.items() if value not in (None, "")}
        values.setdefault("period", "30d")
        return ReviewFilters(**values)


class SignOffForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(SignOff.Decision.APPROVE, "Approve"), (SignOff.Decision.REJECT, "Reject")],
        widget=forms.RadioSelect,
        initial=SignOff.Decision.APPROVE,
    )
    read_ai_parts = forms.BooleanField(required=False, label="I read the AI-written parts")
    understood_blast_radius = forms.BooleanField(required=False, label="I understood the blast radius")
    rollback_ready = forms.BooleanField(required=False, label="The rollback is ready")
    on_call_through_bake = forms.BooleanField(
        required=False, label="I or my named delegate am on call through the bake window"
    )
    delegate = forms.ModelChoiceField(queryset=None, required=False, label="Delegate on call (optional)")
    note = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
    override_reason = forms.CharField(
        required=False,
        max_length=4000,
        label="Override reason (required to approve when the policy denies)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    ATTESTATIONS = ("read_ai_parts", "understood_blast_radius", "rollback_ready", "on_call_through_bake")

    def __init__(self, *args, delegates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["delegate"].queryset = delegates

    def clean(self):
        data = super().clean()
        if data.get("decision") == SignOff.Decision.APPROVE:
            # An approval is the four attestations; approving without them would sign for what was not read.
            for name in self.ATTESTATIONS:
                if not data.get(name):
                    self.add_error(name, "Tick this to approve, or reject the change.")
        return data


class RevokeForm(forms.Form):
    signoff = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label="Why revoke", max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class AcknowledgeGapForm(forms.Form):
    note = forms.CharField(label="Note", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class GapsFilterForm(forms.Form):
    team = forms.CharField(required=False, max_length=100)
    code = forms.ChoiceField(required=False, choices=[("", "all codes"), *Gap.Code.choices])

    def value(self, name: str) -> str:
        # A value that does not validate is dropped, as for the review's filters.
        return self.cleaned_data.get(name, "") if self.is_valid() else ""


METRIC_PERIODS = {"30d": 30, "90d": 90, "180d": 180, "365d": 365}


class MetricsFilterForm(forms.Form):
    """Rolling periods ending now (the default 90 days holds enough deployments to compare AI levels)."""

    team = forms.CharField(required=False, max_length=100)
    period = forms.ChoiceField(
        required=False, choices=[(key, f"last {days} days") for key, days in METRIC_PERIODS.items()]
    )

    def values(self) -> tuple[str, str]:
        """(team slug, period key); a value that does not validate is dropped for the default."""
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("team", ""), data.get("period") or "90d"
