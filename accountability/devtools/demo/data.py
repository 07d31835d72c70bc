# ruff: noqa: E501  (the services table reads best one service per line)
"""The fixed shape of the demo organisation: teams, services and their dependency graph, names, texts.

Randomness (who is in which team, what changed when) comes from the seeded generator in the other
modules; what is written here is the same on every run.
"""

ORG = "acme"
EMAIL_DOMAIN = "acme.example"

# slug, name, parent slug
TEAMS = [
    ("platform", "Platform", None),
    ("sre", "Site Reliability", "platform"),
    ("data-infra", "Data Infrastructure", "platform"),
    ("devex", "Developer Experience", "platform"),
    ("commerce", "Commerce", None),
    ("payments", "Payments", "commerce"),
    ("checkout", "Checkout", "commerce"),
    ("catalog", "Product Catalog", "commerce"),
    ("search", "Search & Discovery", "commerce"),
    ("risk", "Risk & Fraud", "commerce"),
    ("identity", "Identity", None),
    ("customer", "Customer Experience", None),
    ("web", "Web Frontend", "customer"),
    ("mobile", "Mobile", "customer"),
    ("notifications", "Notifications", "customer"),
    ("growth", "Growth", None),
    ("logistics", "Logistics", None),
]

# Parent teams are management lines: a manager and a couple of staff engineers, no rota of their own.
PARENT_TEAMS = {"platform", "commerce", "customer"}

# The services table. Columns: slug | name | kind | tier | owner team ("-" for none) | flags | depends on.
# Flags: cf = customer-facing, pii = personal data, pay = payments data, int = internal data.
# Dependencies: "slug" is a hard sync call (or a datastore), "slug?" a soft sync call, "slug~" async via a
# queue (soft). "?" in the last column means no dependency data is known for the service.
SERVICES_TABLE = """
www-storefront        | Storefront web            | website   | 1 | web           | cf      | storefront-api, search-api, feature-flags?, media-service?
checkout-web          | Checkout web              | website   | 1 | checkout      | cf pay  | checkout-api, feature-flags?, accounts-api
account-portal        | Account portal            | website   | 2 | identity      | cf pii  | accounts-api, notification-preferences?
help-center           | Help center               | website   | 3 | customer      | cf      | support-api, search-api?
partner-portal        | Partner portal            | website   | 3 | growth        | cf      | partner-api
admin-console         | Admin console             | website   | 2 | devex         | int     | admin-api
seller-hub            | Seller hub                | website   | 2 | catalog       | cf      | catalog-api, payouts-service?
mobile-web            | Mobile web                | website   | 2 | mobile        | cf      | mobile-bff
api-gateway           | API gateway               | service   | 1 | sre           | cf      | auth-service, rate-limiter, sessions-redis
storefront-api        | Storefront API            | service   | 1 | web           | cf      | api-gateway, catalog-service, pricing-service, cart-service, recommendations?, cache-redis
search-api            | Search API                | service   | 2 | search        | cf      | api-gateway, search-cluster, query-understanding?
checkout-api          | Checkout API              | service   | 1 | checkout      | cf pay  | api-gateway, cart-service, order-service, payments-api, tax-service, shipping-rates, promotions?
payments-api          | Payments API              | service   | 1 | payments      | cf pay  | payment-processor, fraud-scoring, ledger-service, payments-db, events-kafka~
accounts-api          | Accounts API              | service   | 1 | identity      | cf pii  | auth-service, user-profile, consent-service, accounts-db
catalog-api           | Catalog API               | service   | 2 | catalog       | cf      | catalog-service, media-service, catalog-db
mobile-bff            | Mobile BFF                | service   | 2 | mobile        | cf      | api-gateway, storefront-api, accounts-api, push-gateway~
partner-api           | Partner API               | service   | 3 | growth        | cf      | api-gateway, catalog-service, order-service?
admin-api             | Admin API                 | service   | 2 | devex         | int     | auth-service, order-service, catalog-service, refund-service, audit-log~
support-api           | Support API               | service   | 3 | customer      | pii     | order-service, user-profile, returns-service?
auth-service          | Auth service              | service   | 1 | identity      | pii     | sessions-redis, accounts-db, audit-log~
user-profile          | User profiles             | service   | 2 | identity      | pii     | accounts-db, cache-redis?, events-kafka~
consent-service       | Consent service           | service   | 2 | identity      | pii     | accounts-db
rate-limiter          | Rate limiter              | service   | 2 | sre           |         | cache-redis
cart-service          | Cart service              | service   | 1 | checkout      |         | pricing-service, inventory-service, sessions-redis, promotions?
order-service         | Order service             | service   | 1 | checkout      | pii     | inventory-service, orders-db, payments-api, events-kafka~
pricing-service       | Pricing service           | service   | 1 | checkout      |         | promotions, currency-rates, catalog-db, cache-redis
promotions            | Promotions                | service   | 2 | growth        |         | pricing-service?, promotions-db
tax-service           | Tax calculation           | service   | 2 | checkout      |         | address-validation?
shipping-rates        | Shipping rates            | service   | 2 | logistics     |         | logistics-db, carrier-gateway?
inventory-service     | Inventory                 | service   | 1 | logistics     |         | inventory-db, events-kafka~
fulfillment-orchestrator | Fulfillment orchestrator | service | 1 | logistics     | pii     | order-service, warehouse-sync, carrier-gateway, logistics-db, events-kafka~
warehouse-sync        | Warehouse sync            | service   | 3 | logistics     |         | inventory-service~, logistics-db
carrier-gateway       | Carrier gateway           | service   | 2 | logistics     | pii     | logistics-db
returns-service       | Returns                   | service   | 3 | logistics     | pii     | order-service, refund-service, logistics-db
payment-processor     | Payment processor         | service   | 1 | payments      | pay     | payments-db, fraud-scoring, card-vault
card-vault            | Card vault                | service   | 1 | payments      | pay     | vault-db
ledger-service        | Ledger                    | service   | 1 | payments      | pay     | ledger-db, events-kafka~
refund-service        | Refunds                   | service   | 2 | payments      | pay     | payment-processor, ledger-service, orders-db?
payouts-service       | Seller payouts            | service   | 2 | payments      | pay     | ledger-service, payments-db
invoice-service       | Invoicing                 | service   | 3 | payments      | pay     | ledger-service, pdf-renderer~
gift-card-service     | Gift cards                | service   | 3 | payments      | pay     | ledger-service, payments-db
currency-rates        | Currency rates            | service   | 3 | payments      |         | cache-redis
fraud-scoring         | Fraud scoring             | service   | 1 | risk          | pii     | fraud-feature-store, fraud-rules-engine, events-kafka~
fraud-rules-engine    | Fraud rules engine        | service   | 2 | risk          |         | fraud-feature-store
kyc-service           | KYC checks                | service   | 2 | risk          | pii     | accounts-db
catalog-service       | Catalog service           | service   | 1 | catalog       |         | catalog-db, cache-redis, events-kafka~
media-service         | Media service             | service   | 2 | catalog       |         | media-store
product-import        | Product import            | service   | 3 | catalog       |         | catalog-service, media-service, events-kafka~
review-service        | Product reviews           | service   | 3 | catalog       | pii     | catalog-db
search-indexer        | Search indexer            | service   | 2 | search        |         | search-cluster, events-kafka~
query-understanding   | Query understanding       | service   | 3 | search        |         | search-cluster?
recommendations       | Recommendations           | service   | 2 | search        |         | cache-redis, analytics-warehouse~
notification-dispatcher | Notification dispatcher | service   | 2 | notifications | pii     | notifications-queue, email-sender~, sms-sender~, push-gateway~, notification-preferences
email-sender          | Email sender              | service   | 2 | notifications | pii     | notifications-queue
sms-sender            | SMS sender                | service   | 3 | notifications | pii     | notifications-queue
push-gateway          | Push gateway              | service   | 3 | mobile        |         | notifications-queue
notification-preferences | Notification preferences | service | 3 | notifications | pii   | accounts-db
feature-flags         | Feature flags             | service   | 1 | devex         |         | config-db, cache-redis
config-service        | Config service            | service   | 2 | devex         |         | config-db
audit-log             | Audit log                 | service   | 2 | sre           | int     | audit-db, events-kafka~
status-page           | Status page               | website   | 3 | sre           | cf      | audit-log?
analytics-collector   | Analytics collector       | service   | 3 | growth        | pii     | events-kafka~
experiment-service    | Experiments               | service   | 3 | growth        |         | config-db, analytics-warehouse~
loyalty-service       | Loyalty points            | service   | 3 | growth        | pii     | ledger-service?, accounts-db
address-validation    | Address validation        | service   | 3 | logistics     | pii     |
reporting-etl         | Reporting ETL             | service   | 4 | data-infra    | int     | analytics-warehouse, orders-db, payments-db
pdf-renderer          | PDF renderer              | service   | 4 | devex         |         |
build-cache           | Build cache               | service   | 4 | devex         |         |
ci-runners            | CI runners                | service   | 3 | devex         |         | build-cache?
orders-db             | Orders database           | datastore | 1 | checkout      | pii     |
payments-db           | Payments database         | datastore | 1 | payments      | pay     |
ledger-db             | Ledger database           | datastore | 1 | payments      | pay     |
vault-db              | Card vault database       | datastore | 1 | payments      | pay     |
accounts-db           | Accounts database         | datastore | 1 | identity      | pii     |
catalog-db            | Catalog database          | datastore | 2 | catalog       |         |
inventory-db          | Inventory database        | datastore | 1 | logistics     |         |
logistics-db          | Logistics database        | datastore | 2 | logistics     | pii     |
promotions-db         | Promotions database       | datastore | 3 | growth        |         |
config-db             | Config database           | datastore | 2 | devex         |         |
audit-db              | Audit database            | datastore | 2 | sre           | int     |
sessions-redis        | Sessions Redis            | datastore | 1 | sre           | pii     |
cache-redis           | Shared cache Redis        | datastore | 2 | sre           |         |
events-kafka          | Events Kafka              | datastore | 1 | data-infra    | int     |
notifications-queue   | Notifications queue       | datastore | 2 | notifications |         |
search-cluster        | Search cluster            | datastore | 2 | search        |         |
fraud-feature-store   | Fraud feature store       | datastore | 2 | risk          | pii     |
analytics-warehouse   | Analytics warehouse       | datastore | 3 | data-infra    | pii     |
media-store           | Media object store        | datastore | 3 | catalog       |         |
legacy-billing        | Legacy billing            | service   | 2 | -             | pay     | ?
partner-sftp-bridge   | Partner SFTP bridge       | service   | 3 | -             | pii     | ?
wishlist-service      | Wishlists                 | service   | 3 | web           |         | ?
data-export           | Data export jobs          | service   | 4 | data-infra    | pii     | ?
chat-widget           | Support chat widget       | website   | 4 | customer      | cf      | ?
"""

# Deliberate ownership gaps (DESIGN §9); the command's docstring lists how each gap code is produced.
SERVICES_WITHOUT_OWNER_OF_RECORD = ["data-export", "chat-widget"]  # team set, nobody named
SERVICES_WITH_DEPARTED_OWNER = ["carrier-gateway", "review-service", "pdf-renderer"]
SERVICES_WITH_STALE_OWNERSHIP = ["warehouse-sync", "query-understanding", "sms-sender", "gift-card-service"]
SERVICES_NEVER_CONFIRMED = ["legacy-billing", "partner-sftp-bridge"]
SERVICES_WITHOUT_DEFAULT_ROLLBACK = [
    "legacy-billing",
    "partner-sftp-bridge",
    "wishlist-service",
    "loyalty-service",
    "experiment-service",
    "kyc-service",
    "analytics-collector",
]
# CODEOWNERS of these repositories name another team than the service's owner team.
CODEOWNERS_DRIFT = {"refund-service": "checkout", "promotions": "checkout", "media-service": "web"}
# All sign-offs of this tier-1 service come from its owner of record alone.
SINGLE_SIGNER_SERVICE = "ledger-service"
# The demo `owner` login owns this tier-1 service.
DEMO_OWNER_SERVICE = "payments-api"

# On-call holes: team slug, start and end in hours relative to now. Logistics owns tier-1 services and
# has nobody on call from just before now until after next week; the others are shorter holes.
ONCALL_HOLES = [
    ("logistics", -3, 9 * 24),
    ("notifications", -2, 10),
    ("search", 3 * 24, 4 * 24 + 6),
    ("mobile", -40 * 24, -38 * 24),
    ("risk", -20 * 24, -19 * 24 - 12),
]

FIRST_NAMES = [
    "Aisha",
    "Alejandro",
    "Amara",
    "Andrei",
    "Anika",
    "Ben",
    "Bianca",
    "Carlos",
    "Chen",
    "Chloe",
    "Dmitri",
    "Elena",
    "Emeka",
    "Fatima",
    "Felix",
    "Grace",
    "Hana",
    "Hiroshi",
    "Ines",
    "Isaac",
    "Jamal",
    "Jana",
    "Javier",
    "Jonas",
    "Julia",
    "Kai",
    "Kavya",
    "Lars",
    "Leila",
    "Liam",
    "Lucia",
    "Mateo",
    "Maya",
    "Mehmet",
    "Mia",
    "Nadia",
    "Nikhil",
    "Noah",
    "Olga",
    "Omar",
    "Priya",
    "Rafael",
    "Rania",
    "Ravi",
    "Rosa",
    "Sam",
    "Sana",
    "Sofia",
    "Stefan",
    "Tariq",
    "Tomas",
    "Uma",
    "Victor",
    "Wei",
    "Yara",
    "Yusuf",
    "Zara",
    "Zoe",
    "Ingrid",
    "Kwame",
]
LAST_NAMES = [
    "Adeyemi",
    "Alvarez",
    "Andersson",
    "Bauer",
    "Becker",
    "Castillo",
    "Chatterjee",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Fujita",
    "Garcia",
    "Haddad",
    "Hansen",
    "Hoffmann",
    "Ibrahim",
    "Ivanova",
    "Jensen",
    "Kaur",
    "Kim",
    "Kowalski",
    "Larsen",
    "Lindqvist",
    "Lopez",
    "Mahmoud",
    "Martins",
    "Meyer",
    "Moreau",
    "Nakamura",
    "Nguyen",
    "Novak",
    "Okafor",
    "Olsen",
    "Patel",
    "Petrov",
    "Quinn",
    "Raman",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Singh",
    "Sokolov",
    "Tanaka",
    "Torres",
    "Varga",
    "Wagner",
    "Wong",
    "Yilmaz",
    "Zhang",
    "Zimmermann",
    "Osei",
    "Mensah",
]

# AI tools as they show up in commits: tool, models, the trailer lines they leave, the agent account
# (for PRs the agent authored itself, or None).
AI_TOOLS = [
    (
        "claude-code",
        ["claude-opus-4-6", "claude-sonnet-4-5"],
        "🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\n"
        "Co-Authored-By: Claude Opus 4.6 <noreply@anthropic.com>",
        "claude[bot]",
    ),
    (
        "copilot",
        ["gpt-4.1", "claude-sonnet-4-5"],
        "Co-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>",
        "copilot-swe-agent[bot]",
    ),
    ("codex", ["gpt-5-codex"], "Co-authored-by: Codex <noreply@openai.com>", "chatgpt-codex-connector[bot]"),
    (
        "cursor",
        ["gpt-5.1", "claude-sonnet-4-5"],
        "Co-authored-by: Cursor <cursoragent@cursor.com>",
        "cursor[bot]",
    ),
    (
        "devin",
        ["devin"],
        "Co-Authored-By: Devin AI <158243242+devin-ai-integration[bot]@users.noreply.github.com>",
        "devin-ai-integration[bot]",
    ),
    (
        "firebender",
        ["gpt-5.1"],
        "🤖 Generated with [Firebender](https://firebender.com)\n\nCo-Authored-By: Firebender <help@firebender.com>",
        None,
    ),
    ("claude", ["claude-sonnet-4-5"], "Assisted-by: Claude:claude-sonnet-4-5", None),
]

DEPENDABOT_LOGIN = "dependabot[bot]"
DEPENDABOT_PACKAGES = [
    ("requests", "2.32.3", "2.32.5"),
    ("django", "5.2.7", "5.2.8"),
    ("urllib3", "2.5.0", "2.6.1"),
    ("protobuf", "6.31.1", "6.32.0"),
    ("axios", "1.11.0", "1.12.2"),
    ("golang.org/x/net", "0.43.0", "0.44.0"),
    ("petl", "1.7.17", "1.7.20"),
    ("sentry-sdk", "2.35.0", "2.37.1"),
    ("grpcio", "1.74.0", "1.75.0"),
]

# Change titles: conventional-commit type, subject ({noun}, {area}, {dep} filled in per service).
CHANGE_TITLES = [
    ("fix", "Handle timeouts when calling {dep}"),
    ("feat", "Paginate {noun} listings"),
    ("fix", "Reject null {noun} ids in the {area} handler"),
    ("feat", "Add idempotency keys to {noun} writes"),
    ("feat", "Add a metric for {noun} queue depth"),
    ("fix", "Evict stale cache entries for {noun}s"),
    ("perf", "Raise the batch size of the {area} consumer"),
    ("fix", "Fall back to the default locale when rendering {noun}s"),
    ("fix", "Cap the connection pool for {dep}"),
    ("feat", "Put the new {noun} flow behind a feature flag"),
    ("fix", "Validate {noun} payloads before enqueueing"),
    ("refactor", "Use structured logging in the {area} worker"),
    ("fix", "Back off on 429 from {dep}"),
    ("feat", "Export {noun}s for finance reconciliation"),
    ("fix", "Drop duplicate {noun} events after redelivery"),
    ("perf", "Speed up the slow query in {noun} search"),
    ("chore", "Remove the unused {noun} v1 endpoint"),
    ("fix", "Retry {dep} calls on connection reset"),
    ("refactor", "Split the {area} client into read and write paths"),
    ("feat", "Emit an audit event when a {noun} is deleted"),
    ("fix", "Correct rounding of {noun} totals in multi-currency carts"),
    ("chore", "Upgrade the {area} service to Python 3.13"),
]
MIGRATION_OBJECTS = [
    "Add {noun}_status column and backfill",
    "Drop legacy {noun}_v1 table",
    "Split {noun} address into structured fields",
    "Add index on {noun}s(created_at)",
    "Rename {noun}.ref to external_ref",
]
BODY_LINES = [
    "Previously the {area} path assumed {dep} always answered within the deadline; under load it did not.",
    "This keeps the old behaviour behind a flag until the rollout is complete.",
    "Covered by new unit tests; the integration suite runs against staging.",
    "The change is backwards compatible: old clients keep sending the previous shape.",
    "Found while looking at last week's incident timeline.",
    "Metrics dashboards are updated in the same PR.",
]
OVERRIDE_REASONS = [
    "Hotfix for an active incident; canary watched by hand and rollback rehearsed in staging this morning.",
    "Load test environment is down; the change only touches logging. Accepting the risk until Monday.",
    "Security patch with a disclosure deadline; review happened in the private advisory fork.",
    "Reverting a broken release: the rollback itself cannot wait for the full evidence set.",
]
SIGNOFF_NOTES = [
    "Read the diff and the migration; rollback is the previous image.",
    "Canary looked clean for 30 minutes.",
    "Checked the AI-written parts line by line.",
    "On call myself this week.",
    "",
    "",
    "",
]
INCIDENT_SYMPTOMS = [
    "elevated 5xx error rate",
    "p99 latency above SLO",
    "requests timing out",
    "error budget burn rate alert",
    "queue backlog growing",
    "health checks failing in two zones",
    "spike in failed payments",
    "login failures above threshold",
]
REPOSITORY_FILES = [
    "handlers",
    "models",
    "client",
    "service",
    "views",
    "tasks",
    "api",
    "serializers",
    "retry",
    "config",
]
