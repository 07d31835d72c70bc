"""Load a realistic, deterministic demo organisation.

What it contains: 17 teams (three parent teams), 124 people with GitHub logins and PagerDuty ids (nine
departed), 93 services of tiers 1 to 4 (websites → APIs → internal services → datastores, shared
datastores, one small cycle pricing-service ⇄ promotions, five services with no dependency data),
CODEOWNERS rules, weekly primary/secondary rotas for 90 days back and 14 days ahead, 2,000 changes over
90 days with commits, AI provenance of every level, evidence of every kind, rollback plans, staging and
production deployments, sign-offs through the ledger, and 40 incidents with timelines.

How it exercises every ownership gap of DESIGN §9:

- SERVICE_NO_OWNER: legacy-billing and partner-sftp-bridge have no owner team; data-export and
  chat-widget have a team but no owner of record.
- OWNER_DEPARTED: the owners of record of carrier-gateway (tier 2), review-service and pdf-renderer
  have left (is_active False, departed_at set).
- TEAM_NO_ONCALL: Logistics owns tier-1 services (inventory-service, fulfillment-orchestrator) and has
  nobody on call from 3 hours ago until 9 days ahead; Notifications (tier 2) has nobody on call now;
  Search (tier 2) has a 30-hour hole starting in 3 days.
- UNSIGNED_PRODUCTION_CHANGE: about 14 % of tier-1/2 production changes are unsigned, among them the
  demo owner's AI-assisted payments-api change shipped 3 hours ago, and revoked approvals never renewed.
- SIGNER_NOT_ACCOUNTABLE: some approvals come from people outside the owning team; some signers were
  not on call for the bake window and named no on-call delegate.
- AI_CHANGE_UNREVIEWED: about a quarter of AI-assisted-or-more changes have no human review, and some
  reviews are by the change's own author (actor_login is the author's login).
- AI_CHANGE_UNVERIFIED: about 45 % of majority/generated changes have no canary, load test or manual QA.
- NO_ROLLBACK_PLAN: seven services have no default rollback plan, and most of their changes no plan
  of their own.
- ROLLBACK_NEVER_REHEARSED: schema migrations whose plan is not data-reversible, mostly never rehearsed.
- POLICY_OVERRIDDEN: approvals with policy_decision "deny" and a written override reason.
- CODEOWNERS_DRIFT: the catch-all CODEOWNERS rule of refund-service, promotions and media-service
  names another team than the service's owner team.
- OWNERSHIP_STALE: warehouse-sync, query-understanding, sms-sender and gift-card-service were last
  confirmed 120 to 400 days ago (legacy-billing and partner-sftp-bridge never); their tier-3 changes are
  rarely signed.
- SINGLE_POINT_OF_OWNERSHIP: every sign-off of ledger-service (tier 1) is by its owner of record.

Incidents: most have a seeded cause, a risky production deploy (AI generated, unreviewed, or a schema
migration) of an affected service or one it depends on, finishing 20 to 90 minutes before the incident;
no other production deploy in the incident's search area finishes in the 6 hours before it. The cause
is recorded as an "annotated" timeline event "Suspected cause: <service-slug>@<short sha>".

Personas (password settings.DEMO_PASSWORD): admin (superuser), manager (viewer), owner (owner of record
of payments-api, with changes waiting for sign-off, one AI generated), commander (on call for Site
Reliability now, commanding the newest open incident).
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError
from django.utils import timezone

from accountability.catalog.models import Team
from accountability.devtools.demo.seed import demo_seed

LOGINS = (
    ("admin", "admin: Django admin, sources, policy"),
    ("manager", "viewer: risk review, gaps, metrics"),
    ("owner", "owner: owner of record of payments-api, sign-offs waiting"),
    ("commander", "commander: on call now, open incidents"),
)


class Command(BaseCommand):
    help = "Load the demo organisation (deterministic; does nothing if it is already loaded)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing at all when any team exists (for make run)."
        )
        parser.add_argument("--seed", type=int, default=2026, help="Seed of the random generator.")

    def handle(self, *args, if_empty: bool, seed: int, **options):
        if if_empty and Team.objects.exists():
            self.stdout.write("Teams already exist; --if-empty leaves the database as it is.")
            return
        started = time.monotonic()
        # Rounded down to the hour, so runs within the same hour produce the same organisation.
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        try:
            counts = demo_seed(seed=seed, now=now, log=lambda line: self.stdout.write(f"  {line}"))
        except IntegrityError as error:
            # Real data already uses a name the demo needs (a team slug, a handle): load nothing.
            raise CommandError(
                "The demo organisation collides with data already in this database, "
                f"nothing was loaded: {error}"
            ) from error
        if counts is None:
            self.stdout.write("The demo organisation is already loaded; nothing changed.")
        else:
            summary = ", ".join(f"{value} {name}" for name, value in counts.items())
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo organisation loaded in {time.monotonic() - started:.1f}s: {summary}."
                )
            )
        self.stdout.write(f"Demo logins (password: {settings.DEMO_PASSWORD}):")
        for username, role in LOGINS:
            self.stdout.write(f"  {username:<10} {role}")
