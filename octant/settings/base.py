"""Settings, read from the environment (django-environ). Production differs only by environment."""
import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key" if DEBUG else "")
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off: set it in the environment or in .env "
                               "(e.g. SECRET_KEY=$(openssl rand -base64 48)), or DEBUG=1 for development")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver", "[::1]"])

INSTALLED_APPS = [
    "octant.apps.DaphneConfig",  # daphne, without importing its server in every process
    "octant.admin_site.OctantAdminConfig",  # django.contrib.admin with our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "channels",
    "octant.chain",
    "users",
    "epochs",
    "deposits",
    "projects",
    "allocations",
    "withdrawals",
    "antisybil",
    "multisig",
    "glm",
    "lifecycle",
]

MIDDLEWARE = [
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "octant.web.http.JSONErrorPagesMiddleware",  # unknown routes and wrong methods answer JSON
    "octant.web.observe.RouteMiddleware",  # the route template, user and epoch of the request's log line
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "octant.urls"
APPEND_SLASH = False
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
WSGI_APPLICATION = None
ASGI_APPLICATION = "octant.asgi.application"

# --- Database: PostgreSQL. DATABASE_URL if set (any django-environ URL), else the embedded server of this
# checkout under var/postgres (octant.embedded_db), started here unless it runs: the run and test commands
# start it and pass its URL on; `manage.py` alone starts it too (and leaves it running).
_database_url = env.str("DATABASE_URL", default="")
if not _database_url:
    from octant import embedded_db

    _database_url = embedded_db.start()[0]
DATABASES = {"default": env.db_url_config(_database_url)}
if env.int("DATABASE_POOL_SIZE", default=8):
    # Each process keeps a pool of connections: a request borrows one instead of opening its own (several
    # ms each). Sync views of one process run one at a time; the pool also serves the websocket consumers'
    # and the worker's threads. A connection is checked (an empty query, well under a millisecond on a local
    # server) each time it is lent: one the server dropped (a restart, pg_terminate_backend, an idle timeout)
    # is replaced instead of failing the request (Django passes psycopg_pool's check_connection to the pool
    # when CONN_HEALTH_CHECKS is on).
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1, "max_size": env.int("DATABASE_POOL_SIZE", default=8), "timeout": 30}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
FORMAT_MODULE_PATH = ["octant.settings.formats"]  # one date format in the admin: "2026-12-06 20:09:03 UTC"
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Project images staff upload (docs/lifecycle.md §8.2): Django's default storage, files under MEDIA_ROOT,
# served at /ipfs/{name} as an IPFS gateway serves them (hence MEDIA_URL); at most PROJECT_IMAGE_MAX_BYTES
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
MEDIA_URL = "/ipfs/"
PROJECT_IMAGE_MAX_BYTES = env.int("PROJECT_IMAGE_MAX_BYTES", default=500_000)

# --- Redis: optional. Unset means in-memory channel layer, a file cache under var/ (shared by the web
# process and the Celery worker of one machine) and a no-server Celery broker.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CHANNEL_LAYERS = {
        # members of a crashed process leave the group after group_expiry; live sockets renew on every ping
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                    "CONFIG": {"hosts": [REDIS_URL], "group_expiry": 300}}
    }
    CACHES = {"default": {"BACKEND": "octant.core.cache.SharedRedisCache", "LOCATION": REDIS_URL}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(BASE_DIR / "var" / "cache")}}

# The big lists (an epoch's allocations, donors, budgets) kept as files, one per state of the epoch, and
# served from them (octant.web.answer_files); shared by the processes of one machine. Empty: not kept.
ANSWER_CACHE_DIR = env.str("ANSWER_CACHE_DIR", default=str(BASE_DIR / "var" / "answers"))

# --- CORS: every origin only while DEBUG is on and no origin is listed; otherwise exactly the list
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_ALL_ORIGINS = DEBUG and not CORS_ALLOWED_ORIGINS

# --- Limits and abuse (README "Production")
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES", default=1_000_000)  # HTTP bodies and websocket frames: 413
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES
REQUEST_BODY_TIMEOUT = env.float("REQUEST_BODY_TIMEOUT", default=30.0)  # seconds to receive a whole body: 408
ALLOCATION_MAX_ITEMS = env.int("ALLOCATION_MAX_ITEMS", default=100)  # or the epoch's project count, if more
# Live updates: at most one websocket broadcast per epoch per this many seconds, carrying every change since
# the last one (allocations.realtime); a change within the interval goes out when it ends.
BROADCAST_MIN_INTERVAL_SECONDS = env.float("BROADCAST_MIN_INTERVAL_SECONDS", default=1.0)
# ... and at least this many times as long as the last broadcast took to build and send: under load (every
# project's donor list changed) broadcasting takes at most about 1/factor of the time
BROADCAST_BUSY_FACTOR = env.float("BROADCAST_BUSY_FACTOR", default=3.0)
# ... and at least its egress (its bytes to each socket times the sockets) over this many bytes per second:
# the live updates' share of the servers' outgoing bandwidth, before compression (0 = no limit)
LIVE_EGRESS_BYTES_PER_SECOND = env.int("LIVE_EGRESS_BYTES_PER_SECOND", default=100_000_000)
# The busiest public reads answered from a copy in each server process while nothing changed, and never
# older than this many seconds (octant.web.answers; needs REDIS_URL; 0 = off)
SHARED_ANSWERS_SECONDS = env.float("SHARED_ANSWERS_SECONDS", default=1.0)
SHARED_ANSWER_PATHS = r"/rewards/projects/estimated|/epochs/info/\d+"
# Seconds between a replacing allocation and the exact rebuild of the aggregates it left inexact (one run
# covers every allocation of that while: a run reads each inexact project's allocations, ~60 ms of CPU at
# 10,000, about 6 s for 100 projects; live estimates meanwhile differ from the exact sums by a rounding at most)
FUNDING_REBUILD_DELAY_SECONDS = env.float("FUNDING_REBUILD_DELAY_SECONDS", default=30.0)
# DRF throttles per client IP ("N/second|minute|hour|day"; empty = off): every request, writes, heavy reads
THROTTLE_RATES = {
    "read": env.str("THROTTLE_READ_RATE", default="1200/minute") or None,
    "write": env.str("THROTTLE_WRITE_RATE", default="60/minute") or None,
    "heavy": env.str("THROTTLE_HEAVY_RATE", default="60/minute") or None,
}
# Open websockets per client IP in each server process; one more is closed at once with 1013 (0 = no limit).
# A websocket `allocate` event counts against THROTTLE_RATES["write"] like an HTTP write.
SOCKETS_PER_IP = env.int("SOCKETS_PER_IP", default=100)
# The client's IP (octant.web.client_ip: throttles, sockets, admin lockout, consents): the socket peer, unless it
# is one of TRUSTED_PROXIES (addresses or networks) and NUM_PROXIES proxies stand in front: then the
# NUM_PROXIES-th X-Forwarded-For entry from the right
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=["127.0.0.1", "::1"])
# POST /snapshots/pending|finalized: open (the reference's cron calls them) unless a token is set; then
# only requests with "Authorization: Bearer <token>" may trigger them
SNAPSHOT_TRIGGER_TOKEN = env.str("SNAPSHOT_TRIGGER_TOKEN", default="")

# --- Admin login lockout (django-axes): AXES_FAILURE_LIMIT failures from one client IP (octant.web.client_ip),
# whatever user names they try, lock that IP out for an hour: password spraying is locked too, and an attacker
# locks out their own address only, never a user for everyone
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_CLIENT_IP_CALLABLE = "octant.web.client_ip.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no start-up banner on every command
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]

# --- HTTPS (DEBUG off): HSTS and secure cookies; the redirect to https can be switched off when a
# TLS-terminating proxy does it, and SECURE_PROXY_SSL_HEADER trusts its X-Forwarded-Proto
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^info/healthcheck$", r"^metrics$"]  # plain-HTTP probes and scrapes inside the cluster
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG

# --- REST framework and the OpenAPI schema
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["octant.web.http.JSONRenderer"],  # a None body is `null`
    "DEFAULT_PARSER_CLASSES": ["octant.web.http.JSONParser"],  # snake_case keys too
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "octant.web.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["octant.web.throttles.ReadThrottle", "octant.web.throttles.WriteThrottle",
                                 "octant.web.throttles.HeavyThrottle"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Octant backend API",
    "DESCRIPTION": "Octant-compatible public-goods funding backend (Django).",
    "VERSION": __import__("octant").__version__,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "COMPONENT_SPLIT_PATCH": False,  # a PATCH body's fields are required as they are (the patron-mode toggle's)
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "octant.web.schema.describe_path_parameters",
                             "octant.web.schema.describe_text_fields",
                             "octant.web.schema.document_error_responses"],
}

# --- Celery: Redis broker when REDIS_URL is set, else a file-system broker that needs no server.
CELERY_TIMEZONE = "UTC"
CELERY_TASK_IGNORE_RESULT = True
# No result backend (Celery's stateless "disabled" one): built once per process rather than once per thread
# (under ASGI every request runs in a thread of its own, and building it scans the installed packages' entry
# points: about a third of the time an allocation spent queueing its after-commit tasks)
CELERY_RESULT_BACKEND_THREAD_SAFE = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
else:
    _broker_dir = BASE_DIR / "var" / "celery"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# The websocket broadcasts' queue: give them a worker of their own (e.g. BROADCAST_QUEUE=broadcasts and
# `celery worker -Q broadcasts -c 1`) so that long aggregate rebuilds never hold a broadcast back.
BROADCAST_QUEUE = env.str("BROADCAST_QUEUE", default="celery")
CELERY_TASK_ROUTES = {"allocations.tasks.broadcast_changes": {"queue": BROADCAST_QUEUE}}
EPOCH_TICK_SECONDS = env.float("EPOCH_TICK_SECONDS", default=5.0)
EPOCH_TICK_LOCK_SECONDS = env.float("EPOCH_TICK_LOCK_SECONDS", default=300.0)  # a killed run's lock lapses
CELERY_BEAT_SCHEDULE = {
    # a tick not started within one period is dropped (a backlog after a worker outage is useless):
    # "expires" for celery's own scheduler, "expire_seconds" for django-celery-beat's database scheduler
    "epochs-tick": {"task": "epochs.tasks.epochs_tick", "schedule": EPOCH_TICK_SECONDS,
                    "options": {"expires": EPOCH_TICK_SECONDS, "expire_seconds": EPOCH_TICK_SECONDS}},
}

# --- Chain
CHAIN_BACKEND = env.str("CHAIN_BACKEND", default="local")
CHAIN_ID = env.int("CHAIN_ID", default=1337)
CHAIN_NAME = env.str("CHAIN_NAME", default="localchain")
# Reward rules (epochs/rules.py): "mainnet" history, "current" rules for every epoch, or "" = mainnet iff CHAIN_ID 1
EPOCH_RULES = env.str("EPOCH_RULES", default="")
EXACT_REWARDS_FROM_EPOCH = env.int("EXACT_REWARDS_FROM_EPOCH", default=None)  # exact capped QF from this epoch
# local: the simulated chain clock follows wall time (plus every `chain time` move) unless frozen.
LOCAL_CHAIN_CLOCK_RUNNING = env.bool("LOCAL_CHAIN_CLOCK_RUNNING", default=True)
# local: the subgraph source whose schema /subgraphs/name/octant answers with (octant/chain/graph.py); a relative
# path is from the checkout
OCTANT_SUBGRAPH_DIR = BASE_DIR / env.str("OCTANT_SUBGRAPH_DIR", default="../shared/octant-subgraph")
# Set finalized merkle roots on the Vault by itself (always on the local chain; opt-in on ethereum).
X_REAL_IP_REQUIRED = env.bool("X_REAL_IP_REQUIRED", default=False)  # v2's check: refuse a consent without X-Real-IP
VAULT_CONFIRM_WITHDRAWALS_ENABLED = env.bool("VAULT_CONFIRM_WITHDRAWALS_ENABLED", default=CHAIN_BACKEND == "local")
ETH_RPC_PROVIDER_URL = env.str("ETH_RPC_PROVIDER_URL", default="")
SUBGRAPH_ENDPOINT = env.str("SUBGRAPH_ENDPOINT", default="")
CONTRACTS = {
    "Auth": env.str("AUTH_CONTRACT_ADDRESS", default=""),
    "Deposits": env.str("DEPOSITS_CONTRACT_ADDRESS", default=""),
    "Epochs": env.str("EPOCHS_CONTRACT_ADDRESS", default=""),
    "GLM": env.str("GLM_CONTRACT_ADDRESS", default=""),
    "Projects": env.str("PROPOSALS_CONTRACT_ADDRESS", default="0xB259fe6EC190cffF893b247AE688eFBF4261D2fc"),
    "Vault": env.str("VAULT_CONTRACT_ADDRESS", default=""),
    "WithdrawalsTarget": env.str("WITHDRAWALS_TARGET_CONTRACT_ADDRESS", default=""),
}
# The project metadata CID of epoch N on mainnet (entry N; v2's history, docs/lifecycle.md §8.2); the
# Projects contract's cid() beyond the list and on other chains
MAINNET_PROPOSAL_CIDS = env.list("MAINNET_PROPOSAL_CIDS", default=[
    "QmSQEFD35gKxdPEmngNt1CWe3kSwiiGqBn1Z3FZvWb8mvK", "Qmds9N5y2vkMuPTD6M4EBxNXnf3bjTDmzWBGnCkQGsMMGe",
    "QmSXcT18anMXKACTueom8GXw8zrxTBbHGB71atitf6gZ9V", "QmXomSdCCwt4FtBp3pidqSz3PtaiV2EyQikU6zRGWeCAsf",
    "QmdtFLK3sB7EwQTNaqtmBnZqnN2pYZcu6GmUSTrpvb9wcq", "bafybeifs53yk5oycvy5lu5r42oefk3vh7qkvfdkklkvaw2ocubmycgvche",
    "bafybeigxa4wpqhianuiltv3qqzqpitjyjyqzdeurpwqrvidgc3c4opw26m",
    "bafybeihixy3tfq3hlptwfp7cpikhkg76gse2ylvkcrmdiuqrfr2tdt5a74",
    "bafybeibunwwuo3edrfi7y2jh3bsedwskjxzik7jcjk7bbxqejjqj244prq",
    "bafybeihuno47auuimjjcit5ij2dojrzyvvy624f2qdch2krup63xqeteau",
    "bafybeieler566kesgg7dkke4r2mpxf5bhzcv2eaz44bfqlk7j44nh5l4va"])
# ethereum backend (docs/lifecycle.md §3.3): RPC timeouts and retries (never on reverts), the subgraph, the vault job
ETH_RPC_TIMEOUT = env.float("ETH_RPC_TIMEOUT", default=10.0)
ETH_RPC_RETRIES = env.int("ETH_RPC_RETRIES", default=4)
ETH_RPC_BACKOFF = env.float("ETH_RPC_BACKOFF", default=0.5)
SUBGRAPH_TIMEOUT = env.float("SUBGRAPH_TIMEOUT", default=10.0)
SUBGRAPH_PAGE_SIZE = env.int("SUBGRAPH_PAGE_SIZE", default=1000)
SUBGRAPH_BATCH_ROWS = env.int("SUBGRAPH_BATCH_ROWS", default=5000)  # rows stored per transaction while indexing
TESTNET_MULTISIG_PRIVATE_KEY = env.str("TESTNET_MULTISIG_PRIVATE_KEY", default="")
CHAIN_TX_RECEIPT_TIMEOUT = env.float("CHAIN_TX_RECEIPT_TIMEOUT", default=120.0)
EPOCH_2_STAKING_PROCEEDS_SURPLUS = env.int("EPOCH_2_STAKING_PROCEEDS_SURPLUS", default=0)
ETHERSCAN_URL = env.str("ETHERSCAN_URL", default="https://api.etherscan.io/v2/api")
ETHERSCAN_API_KEY = env.str("ETHERSCAN_API_KEY", default="")
ETHERSCAN_TIMEOUT = env.float("ETHERSCAN_TIMEOUT", default=20.0)
BITQUERY_URL = env.str("BITQUERY_URL", default="https://streaming.bitquery.io/graphql")
BITQUERY_API_KEY = env.str("BITQUERY_API_KEY", default="")
BITQUERY_BEARER = env.str("BITQUERY_BEARER", default="")
BITQUERY_TIMEOUT = env.float("BITQUERY_TIMEOUT", default=180.0)
PROCEEDS_RETRIES = env.int("PROCEEDS_RETRIES", default=2)
PROCEEDS_BACKOFF = env.float("PROCEEDS_BACKOFF", default=1.0)

# --- Users beyond plain wallets: Gitcoin Passport, delegation, Safe multisig, Sablier, GLM claim
# Passport scores: "local" reads the local chain's scores (`chain passport`), "scorer" asks the Gitcoin
# Passport Scorer API.
PASSPORT_BACKEND = env.str("PASSPORT_BACKEND", default="local")
GC_PASSPORT_SCORER_BASE_URL = env.str("GC_PASSPORT_SCORER_BASE_URL", default="https://api.scorer.gitcoin.co")
GC_PASSPORT_SCORER_API_KEY = env.str("GC_PASSPORT_SCORER_API_KEY", default="")
GC_PASSPORT_SCORER_ID = env.str("GC_PASSPORT_SCORER_ID", default="")
EXTERNAL_API_TIMEOUT = env.float("EXTERNAL_API_TIMEOUT", default=10.0)  # seconds per HTTP request
EXTERNAL_API_RETRIES = env.int("EXTERNAL_API_RETRIES", default=5)  # on timeouts, 429 and 5xx
EXTERNAL_API_BACKOFF = env.float("EXTERNAL_API_BACKOFF", default=1.0)  # seconds; doubles on each retry
DELEGATION_SALT = env.str("DELEGATION_SALT", default="dev-delegation-salt" if DEBUG else "")
DELEGATION_SALT_PRIMARY = env.str("DELEGATION_SALT_PRIMARY",
                                  default="dev-delegation-salt-primary" if DEBUG else "")
# empty: the local chain's own Safe Transaction Service (docs/lifecycle.md §5.4), read in process
SAFE_TRANSACTION_SERVICE_URL = env.str(
    "SAFE_TRANSACTION_SERVICE_URL",
    default="" if CHAIN_BACKEND == "local" else "https://safe-transaction-mainnet.safe.global/api/v1"
    if CHAIN_ID == 1 else "https://safe-transaction-sepolia.safe.global/api/v1")
MULTISIG_APPROVE_PAUSE = env.float("MULTISIG_APPROVE_PAUSE", default=1.0)  # seconds between pending rows
MULTISIG_APPROVE_SECONDS = env.float("MULTISIG_APPROVE_SECONDS", default=30.0)  # the approve job's period
# /cps/simple/price (docs/lifecycle.md §5.5): fixed coin prices, {coin id: {currency: price}}
COIN_PRICES = env.json("COIN_PRICES", default={
    "ethereum": {"usd": 2500, "eur": 2300, "gbp": 1950, "aud": 3900, "jpy": 370000, "cny": 18000},
    "golem": {"usd": 0.25, "eur": 0.23, "gbp": 0.195, "aud": 0.39, "jpy": 37, "cny": 1.8}})
CELERY_BEAT_SCHEDULE["multisig-approve"] = {"task": "multisig.tasks.multisig_approve",
                                           "schedule": MULTISIG_APPROVE_SECONDS}
# Sablier GLM streams (docs/lifecycle.md §4.3), read by the ethereum backend; no endpoint: not indexed (as e2e)
SABLIER_SUBGRAPH_ENDPOINT = env.str("SABLIER_SUBGRAPH_ENDPOINT", default=env.str(
    "SABLIER_MAINNET_SUBGRAPH_URL" if CHAIN_ID == 1 else "SABLIER_SEPOLIA_SUBGRAPH_URL", default=""))
SABLIER_SENDER_ADDRESS = env.str("SABLIER_SENDER_ADDRESS", default="0x4BEbdb9792ed50eBB00611083ba384F05791a9FB"
                                 if CHAIN_ID == 1 else "0xf86fD85672683c220709B9ED80bAD7a51800206a")
SABLIER_EXCLUDED_STREAMS = env.list("SABLIER_EXCLUDED_STREAMS", cast=int, default=[] if CHAIN_ID == 1
                                    else [190, 191, 194, 195, 211, 213])  # the incorrectly cancelled ones
GLM_CLAIM_ENABLED = env.bool("GLM_CLAIM_ENABLED", default=False)
GLM_WITHDRAWAL_AMOUNT = env.int("GLM_WITHDRAWAL_AMOUNT", default=1000 * 10**18)
GLM_SENDER_NONCE = env.int("GLM_SENDER_NONCE", default=0)
GLM_SENDER_ADDRESS = env.str("GLM_SENDER_ADDRESS", default="")
GLM_SENDER_PRIVATE_KEY = env.str("GLM_SENDER_PRIVATE_KEY", default="")
if GLM_CLAIM_ENABLED:
    CELERY_BEAT_SCHEDULE["glm-transfer"] = {"task": "glm.tasks.glm_transfer", "schedule": 60.0}

# --- Deployment info
OCTANT_ENV = env.str("OCTANT_ENV", default="development")
DEPLOYMENT_ID = env.str("DEPLOYMENT_ID", default="")  # /info/version id; unset: package version + git commit

# --- Metrics and logs (README "Metrics and logs")
# GET /metrics (Prometheus) answers only "Authorization: Bearer <token>"; without a token it answers 404
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# The directory where every web and Celery process of this machine writes its metric values (prometheus_client's
# multiprocess mode; it must be set before prometheus_client is imported: here, as Django starts)
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default=str(BASE_DIR / "var" / "metrics"))
os.environ["PROMETHEUS_MULTIPROC_DIR"] = PROMETHEUS_MULTIPROC_DIR
# A Celery worker with no web server on its machine (its own container) serves its metrics at
# http://METRICS_WORKER_HOST:METRICS_WORKER_PORT/metrics, unauthenticated: a bind the public cannot reach
METRICS_WORKER_PORT = env.int("METRICS_WORKER_PORT", default=None)
METRICS_WORKER_HOST = env.str("METRICS_WORKER_HOST", default="127.0.0.1")
os.makedirs(PROMETHEUS_MULTIPROC_DIR, exist_ok=True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "octant.core.logs.JsonFormatter"}, "text": {"format": "%(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": env.str("LOG_FORMAT", default="json")}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
