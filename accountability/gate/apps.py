from django.apps import AppConfig


class GateConfig(AppConfig):
    """The deploy gate: decisions, the GitHub protection rule and the GitHub App client. No models of its own
    (GateDecision and ProtectionRuleRequest keep the `api` app label they were created under)."""

    name = "accountability.gate"
    label = "gate"

    def ready(self) -> None:
        # Ingest sits below the gate and cannot import it: the gate hands the GitHub adapter its handler.
        from accountability.gate.commit_status import commit_status_send
        from accountability.gate.protection import protection_rule_receive
        from accountability.ingest.sources import github
        from accountability.notify.channels import SENDERS
        from accountability.notify.models import Notification

        github.HANDLERS["deployment_protection_rule"] = protection_rule_receive
        # Likewise the outbox (notify) sends GitHub commit statuses with the gate's GitHub App client.
        SENDERS[Notification.Channel.GITHUB_STATUS] = commit_status_send
