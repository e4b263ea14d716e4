"""Test settings: the environment still chooses the database and Redis (CI uses PostgreSQL and Redis)."""
import os
import tempfile

from .base import *  # noqa: F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOCAL_CHAIN_CLOCK_RUNNING = False  # the chain clock moves only when a test moves it
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = "memory://"
THROTTLE_RATES = {"read": None, "write": None, "heavy": None}  # throttle tests set their own
AXES_ENABLED = False  # the lockout test switches it on (the test client's login() passes no request)
if not REDIS_URL:  # noqa: F405 - not the file cache under var/ that a dev server in this checkout uses
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def _random_wei():
    import random

    return random.randint(0, 10**24)


EXTERNAL_API_TIMEOUT = 0.5  # the local HTTP servers of the tests answer at once, or never
EXTERNAL_API_BACKOFF = 0.01
MULTISIG_APPROVE_PAUSE = 0.0
GLM_CLAIM_ENABLED = True

BAKER_CUSTOM_FIELDS_GEN = {"octant.core.fields.WeiField": _random_wei}

# The suite walks fresh local chains through epochs 1-3 to exercise every historic variant, so it follows
# the mainnet history; tests of the default ("current" rules off mainnet) override this.
EPOCH_RULES = env.str("EPOCH_RULES", default="mainnet")  # noqa: F405

# The metric values of a test run apart from a dev server's (var/metrics); the run's subprocesses inherit its directory
if PROMETHEUS_MULTIPROC_DIR == str(BASE_DIR / "var" / "metrics"):  # noqa: F405 - not set by the environment
    PROMETHEUS_MULTIPROC_DIR = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="octant-metrics-")
