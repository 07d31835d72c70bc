"""Settings, read from the environment only.

Defaults suit the embedded development mode (`make run` / `make test`); production sets
DJANGO_DEBUG=0 and must then provide DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS, or startup fails.
"""

import json
import os
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-never-used-in-production-0123456789abcdef"  # noqa: S105

# Signs the sign-off ledger's checkpoints (audit.LedgerCheckpoint). Kept out of the database on purpose:
# whoever can rewrite the ledger's table must not be able to re-sign its head.
LEDGER_CHECKPOINT_KEY = os.environ.get("LEDGER_CHECKPOINT_KEY", "")
if not LEDGER_CHECKPOINT_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("LEDGER_CHECKPOINT_KEY is required when DJANGO_DEBUG is off")
    LEDGER_CHECKPOINT_KEY = "dev-only-ledger-checkpoint-key-never-used-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS is required when DJANGO_DEBUG is off")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "ninja",
    "accountability.catalog",
    "accountability.changes",
    "accountability.incidents",
    "accountability.ingest",
    "accountability.analysis",
    "accountability.gate",
    "accountability.api",
    "accountability.audit",
    "accountability.notify",
    "accountability.web",
    "accountability.identity",
]
# The dev tools (demo, bench, chaos) are not in the production image: installed only where present.
if find_spec("accountability.devtools") is not None:
    INSTALLED_APPS.append("accountability.devtools")

MIDDLEWARE = [
    "accountability.web.telemetry.RequestTelemetryMiddleware",
    "accountability.web.proxy.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Headers every answer carries, webhooks' included (they leave the chain at WebhookShortcut).
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Requests under /webhooks/ go to their view from here (signed JSON: no static files, session, CSRF,
    # login, messages).
    "accountability.ingest.middleware.WebhookShortcut",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Re-asks the identity provider (silently) every OIDC_RECHECK_SECONDS; nothing when OIDC is off.
    "accountability.identity.middleware.SessionRecheck",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "accountability.urls"
WSGI_APPLICATION = "accountability.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/accountability")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60))
}
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis is the Celery broker. A unix socket (the embedded mode) is written unix:///path/redis.sock.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
_redis = urlsplit(REDIS_URL)
if _redis.scheme not in ("redis", "rediss", "unix"):
    raise ImproperlyConfigured("REDIS_URL must start with redis://, rediss:// or unix://")

CELERY_BROKER_URL = f"redis+socket://{_redis.path}" if _redis.scheme == "unix" else REDIS_URL
# The debug page and error reports hide credentials in these URLs too (web/debug.py).
DEFAULT_EXCEPTION_REPORTER_FILTER = "accountability.web.debug.CredentialsHidingFilter"
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "accountability")
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only after it finished, and requeued if its worker dies mid-task;
# each worker process holds one task at a time so a SIGKILL loses at most that one, which Redis redelivers.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The longest task (a full analysis scan) is bounded by its hard time limit; the broker must not
# redeliver a task that is still running, so the visibility timeout sits well above that limit.
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT * 2}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Celery's Django fixup closes the database connection around every task unless this is set, so each task
# paid for a new PostgreSQL connection (a backend fork: a third of a short task's time). Connections are
# kept instead and closed as Django closes them between requests: when broken or older than
# DATABASE_CONN_MAX_AGE (accountability/celery.py). The fixup still closes it every 10,000 tasks.
CELERY_DB_REUSE_MAX = 10_000
CELERY_TIMEZONE = "UTC"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in (accountability/identity; README "Sign-in"). Password logins go through LocalBackend, which refuses
# everybody but BREAK_GLASS_USERNAME when LOCAL_LOGIN is off; the OpenID Connect backend does nothing unless
# OIDC_ISSUER is set.
AUTHENTICATION_BACKENDS = [
    "accountability.identity.backends.LocalBackend",
    "accountability.identity.backends.OidcBackend",
]
LOCAL_LOGIN = env_bool("LOCAL_LOGIN", True)
BREAK_GLASS_USERNAME = os.environ.get("BREAK_GLASS_USERNAME", "")
# A sign-off needs an authentication at most this old; an older session signs in again first.
SIGNOFF_MAX_AUTH_AGE_SECONDS = env_int("SIGNOFF_MAX_AUTH_AGE_SECONDS", 15 * 60)
# Optionally, how: a sign-off also needs one of these `amr` values (e.g. hwk for a hardware key or passkey,
# mfa), and the provider is asked for SIGNOFF_ACR_VALUES when the signer signs in again.
SIGNOFF_REQUIRED_AMR = env_list("SIGNOFF_REQUIRED_AMR")
SIGNOFF_ACR_VALUES = os.environ.get("SIGNOFF_ACR_VALUES", "")
OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "").rstrip("/")
OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "your organisation's sign-in")
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
if OIDC_ISSUER and not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET):
    raise ImproperlyConfigured("OIDC_ISSUER is set: OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are required too")
if not LOCAL_LOGIN and not OIDC_ISSUER:
    raise ImproperlyConfigured(
        "LOCAL_LOGIN=0 needs OIDC_ISSUER: nobody but the break-glass admin could log in"
    )
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_SCOPES", "openid email profile")
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT_SECONDS", 10)
OIDC_AUTHENTICATION_CALLBACK_URL = "identity:callback"
# How often a signed-in session is re-checked with the provider (roles re-read, a refused user logged out).
OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS = env_int("OIDC_RECHECK_SECONDS", 15 * 60)
# Allowed clock difference when checking an ID token's exp and iat.
OIDC_LEEWAY_SECONDS = env_int("OIDC_LEEWAY_SECONDS", 60)
# Linking a first login to its catalog Person: the verified e-mail, or this claim holding the GitHub login.
OIDC_GITHUB_LOGIN_CLAIM = os.environ.get("OIDC_GITHUB_LOGIN_CLAIM", "")
# Microsoft Entra ID sends no email_verified claim; its `email` is managed by the tenant's admins. Set this
# only for a single-tenant application whose tenant you trust to keep e-mail addresses right.
OIDC_TRUST_UNVERIFIED_EMAIL = env_bool("OIDC_TRUST_UNVERIFIED_EMAIL", False)
# Roles from the provider: the claim listing the user's groups, and the groups that give each role.
OIDC_ROLES_CLAIM = os.environ.get("OIDC_ROLES_CLAIM", "groups")
OIDC_ROLE_GROUPS = {
    "viewer": env_list("OIDC_VIEWER_GROUPS", "accountability-viewers"),
    "owner": env_list("OIDC_OWNER_GROUPS", "accountability-owners"),
    "commander": env_list("OIDC_COMMANDER_GROUPS", "accountability-commanders"),
    "admin": env_list("OIDC_ADMIN_GROUPS", "accountability-admins"),
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / ".data" / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Nothing external: every script, style and image is served from static/.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (the docker-compose shape).
# Addresses (or networks) of our own reverse proxy, whose X-Forwarded-For names the client (web/proxy.py).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# One JSON object per line in production (LOG_FORMAT=json, the default with DJANGO_DEBUG=0), readable lines
# in development; both carry the id of the request or task a line belongs to (accountability/logs.py).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "accountability.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "accountability.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Login rate limiting (accountability/web/login_throttle.py): failures per username and address per window.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60)

# The demo organisation's login, printed by `make run`.
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "accountability-demo")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "acc"),
    }
}

# AI provenance (DESIGN §6). Agents, their identities and marks, and the non-AI automation used as negatives
# live in the registry accountability/changes/agents.toml (with the source of every rule); PR labels that
# mark AI work are configured here.
AI_LABELS = env_list("AI_LABELS", "ai-assisted,ai-generated,ai-authored,copilot,claude-code,codex")
# A new registry version re-evaluates the provenance of changes merged within this many days.
PROVENANCE_REEVALUATE_DAYS = env_int("PROVENANCE_REEVALUATE_DAYS", 90)

# Pull jobs (accountability/ingest/pull_runner.py, each source's pull.py). A source asking us to wait longer
# than this (Retry-After, a spent rate limit) ends the run; its cursor keeps the place and the next scheduled
# run resumes there.
PULL_MAX_WAIT_SECONDS = env_int("PULL_MAX_WAIT_SECONDS", 60)
PULL_READ_TIMEOUT_SECONDS = env_int("PULL_READ_TIMEOUT_SECONDS", 30)
# Pull jobs refuse hosts that resolve to loopback, link-local, private or otherwise internal addresses (a
# source's URL must not turn the worker into a proxy into our own network), except the hosts named here.
PULL_ALLOWED_HOSTS = {host.lower() for host in env_list("PULL_ALLOWED_HOSTS")}

# Ingest (DESIGN §15): the largest webhook body accepted (larger answers 413), and how long a delivery may
# stay pending before the sweep assumes its task was lost and enqueues it again.
INGEST_MAX_BODY_BYTES = env_int("INGEST_MAX_BODY_BYTES", 1024 * 1024)
INGEST_SWEEP_AFTER_SECONDS = env_int("INGEST_SWEEP_AFTER_SECONDS", 60)
# A worker applies a delivery together with up to this many - 1 other pending ones, in one transaction
# (docs/ingest.md): one commit and one set of catalog lookups for all of them.
INGEST_BATCH_SIZE = env_int("INGEST_BATCH_SIZE", 50)
# Senders that sign a time (Standard Webhooks for CDEvents) are refused outside this window, against replays.
INGEST_SIGNATURE_TOLERANCE_SECONDS = env_int("INGEST_SIGNATURE_TOLERANCE_SECONDS", 5 * 60)
# How often beat runs that sweep; `make chaos` shortens both so that it can wait for the drain.
INGEST_SWEEP_EVERY_SECONDS = env_int("INGEST_SWEEP_EVERY_SECONDS", 60)
# Raw bodies of processed and ignored deliveries are dropped after this many days (failed ones are kept until
# replayed): at 100,000 deliveries a day they would grow by ~100 GB a year.
INGEST_RETENTION_DAYS = env_int("INGEST_RETENTION_DAYS", 30)
# /metrics answers a bearer METRICS_TOKEN, or a request from an address of METRICS_ALLOWED_IPS.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS")
# Where senders reach this installation; `create_source` prints receiver URLs under it.
INGEST_PUBLIC_URL = os.environ.get("INGEST_PUBLIC_URL", "http://127.0.0.1:8000")

# Periodic work. Each entry names a task by its registered name; apps add theirs as they land.
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "web.record_heartbeat", "schedule": 30.0},
    "ingest-sweep-pending": {
        "task": "ingest.sweep_pending_deliveries",
        "schedule": float(INGEST_SWEEP_EVERY_SECONDS),
    },
    # Pull jobs: every minute, enqueue the sources whose own schedule (Source.pull_every_minutes) is due.
    "ingest-pull-due": {"task": "ingest.pull_due_sources", "schedule": 60.0},
    # Retention: drop raw bodies past INGEST_RETENTION_DAYS, in bounded batches.
    "ingest-prune-deliveries": {"task": "ingest.prune_deliveries", "schedule": 60 * 60.0},
    # Analysis: stale blast radii within a minute of a graph change; full scans less often.
    "analysis-recompute-stale": {"task": "analysis.recompute_stale", "schedule": 60.0},
    "analysis-sweep-touched-changes": {"task": "analysis.sweep_touched_changes", "schedule": 120.0},
    "analysis-open-incidents-suspects": {"task": "analysis.open_incidents_suspects", "schedule": 120.0},
    "analysis-gaps-scan-all": {"task": "analysis.gaps_scan_all", "schedule": 15 * 60.0},
    "analysis-recompute-recent": {"task": "analysis.recompute_recent", "schedule": 60 * 60.0},
    "analysis-metrics-refresh": {"task": "analysis.metrics_refresh", "schedule": 60 * 60.0},
    # Deploy gate: rejected GitHub deployments still waiting are re-evaluated (new evidence, a sign-off).
    "api-protection-rules-reevaluate": {"task": "api.protection_rules_reevaluate", "schedule": 5 * 60.0},
    # AI provenance: changes evaluated under an older registry version (agents.toml, admins' rules).
    "changes-provenance-reevaluate": {"task": "changes.provenance_reevaluate", "schedule": 60 * 60.0},
    # The managers' weekly digest, Monday morning (UTC).
    "analysis-weekly-digest": {
        "task": "analysis.weekly_digest",
        "schedule": crontab(minute=0, hour=7, day_of_week=1),
    },
    # Notifications whose send task was lost, or whose retry time has come.
    "notify-sweep": {"task": "notify.notifications_sweep", "schedule": 60.0},
}

# Notifications (DESIGN §14 "where people work"; docs/notify.md). Without SLACK_BOT_TOKEN nothing goes to
# Slack; e-mail goes through Django's SMTP settings (EMAIL_HOST, EMAIL_PORT, ...: `make run` points them
# at a local sink). Links in messages start with SITE_URL.
SITE_URL = os.environ.get("SITE_URL", INGEST_PUBLIC_URL)
SLACK_BOT_TOKEN = os.environ.get("SLACK_BOT_TOKEN", "")
SLACK_API_URL = os.environ.get("SLACK_API_URL", "https://slack.com/api/").rstrip("/") + "/"
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": os.environ.get("EMAIL_HOST", "localhost"),
            "port": env_int("EMAIL_PORT", 25),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": env_bool("EMAIL_USE_TLS", False),
            "timeout": 10,
        },
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "accountability@localhost")
# PagerDuty write-back: change events per production deployment (a service's PagerDutyIntegration key) and
# notes on incidents (the PagerDuty pull source's REST key, as this user).
PAGERDUTY_EVENTS_URL = os.environ.get("PAGERDUTY_EVENTS_URL", "https://events.pagerduty.com").rstrip("/")
PAGERDUTY_API_URL = os.environ.get("PAGERDUTY_API_URL", "https://api.pagerduty.com").rstrip("/")
PAGERDUTY_FROM_EMAIL = os.environ.get("PAGERDUTY_FROM_EMAIL", "")
# At most this many messages a minute to one recipient (Slack throttles a channel past ~1/s).
NOTIFY_RATE_PER_MINUTE = env_int("NOTIFY_RATE_PER_MINUTE", 30)
# Retries back off from 15 s to 15 min: 60 attempts outlast an outage of about 12 hours.
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 60)
NOTIFY_RETRY_BASE_SECONDS = env_int("NOTIFY_RETRY_BASE_SECONDS", 15)

# Analysis (DESIGN §7-§13). Windows are in hours/days as named; see docs/ for why each default.
ANALYSIS_BLAST_RADIUS_STORED_LIMIT = env_int("ANALYSIS_BLAST_RADIUS_STORED_LIMIT", 100)
ANALYSIS_RECENT_CHANGE_DAYS = env_int("ANALYSIS_RECENT_CHANGE_DAYS", 30)
ANALYSIS_SUSPECT_WINDOW_HOURS = env_int("ANALYSIS_SUSPECT_WINDOW_HOURS", 24)
ANALYSIS_SUSPECT_MAX_HOPS = env_int("ANALYSIS_SUSPECT_MAX_HOPS", 3)
ANALYSIS_SUSPECT_STORED_LIMIT = env_int("ANALYSIS_SUSPECT_STORED_LIMIT", 50)
ANALYSIS_METRICS_MIN_SAMPLE = env_int("ANALYSIS_METRICS_MIN_SAMPLE", 20)
# Re-ranking on arrival (docs/analysis.md): writes about one incident within this many seconds make one run.
ANALYSIS_SUSPECT_DEBOUNCE_SECONDS = env_int("ANALYSIS_SUSPECT_DEBOUNCE_SECONDS", 1)

# What a change touched, from its paths (accountability/changes/touched.py): [kind, regular expression]
# pairs, the first that matches a path wins, a path no rule matches is runtime code. Kinds: schema,
# infrastructure, config, docs, tests, runtime. CHANGE_PATH_CLASSES (a JSON list of pairs) replaces them.
CHANGE_PATH_CLASSES_DEFAULT = [
    ["schema", r"(^|/)(migrations?|migrate|alembic/versions|db/changelog)/|(^|/)V\d+__.+\.sql$|\.sql$"],
    [
        "tests",
        r"(^|/)(tests?|spec|__tests__|testdata|fixtures)/"
        r"|(^|/)(test_[^/]*|[^/]*_test\.\w+|[^/]*\.(spec|test)\.\w+)$",
    ],
    ["docs", r"(^|/)docs?/|\.(md|rst|adoc|txt)$|(^|/)(LICENSE|CHANGELOG|AUTHORS|CODEOWNERS)[^/]*$"],
    [
        "infrastructure",
        r"\.(tf|tfvars|hcl)$|(^|/)(terraform|k8s|kubernetes|helm|charts|deploy|infra|ansible)/"
        r"|(^|/)(Dockerfile|docker-compose[^/]*|Chart\.yaml)$|(^|/)\.github/workflows/",
    ],
    [
        "config",
        r"(^|/)(config|conf|settings)/|\.(ya?ml|toml|ini|cfg|conf|properties|env)$"
        r"|(^|/)(settings|config)\.\w+$|(^|/)\.env[^/]*$",
    ],
]
try:
    CHANGE_PATH_CLASSES = json.loads(os.environ.get("CHANGE_PATH_CLASSES", "") or "null") or (
        CHANGE_PATH_CLASSES_DEFAULT
    )
except ValueError as error:
    raise ImproperlyConfigured(f"CHANGE_PATH_CLASSES must be a JSON list of [kind, regex]: {error}") from None

# GitHub App (DESIGN §11): answers custom deployment protection rules as an installation of the app.
# The private key is the PEM GitHub generated for the app, given inline or as a file path.
GITHUB_API_URL = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
GITHUB_APP_ID = os.environ.get("GITHUB_APP_ID", "")
GITHUB_APP_PRIVATE_KEY = os.environ.get("GITHUB_APP_PRIVATE_KEY", "")
if not GITHUB_APP_PRIVATE_KEY and os.environ.get("GITHUB_APP_PRIVATE_KEY_PATH"):
    try:
        GITHUB_APP_PRIVATE_KEY = Path(os.environ["GITHUB_APP_PRIVATE_KEY_PATH"]).read_text()
    except OSError as error:
        raise ImproperlyConfigured(f"GITHUB_APP_PRIVATE_KEY_PATH cannot be read: {error}") from None
# The installation that writes commit statuses (the gate's answer on the pull request) for repositories whose
# protection requests have not named one yet; 0 = only those. Needs the app's "Commit statuses: write".
GITHUB_APP_INSTALLATION_ID = env_int("GITHUB_APP_INSTALLATION_ID", 0) or None
# GitHub waits up to 30 days on a protection rule; a rejected deployment is re-evaluated (and approved once
# the gate allows it) for this long after it was requested.
GATE_PROTECTION_WATCH_HOURS = env_int("GATE_PROTECTION_WATCH_HOURS", 24)
