from django.apps import AppConfig


class GateConfig(AppConfig):
    """The deploy gate: decisions, the GitHub protection rule and the GitHub App client. No models of its own
    (GateDecision and ProtectionRuleRequest keep the `api` app label they were created under)."""

    name = "accountability.gate"
    label = "gate"
