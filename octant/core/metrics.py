"""Every Prometheus metric of the service, in one place (README "Metrics and logs"), and the one-line helpers
the code calls to move them.

Multiprocess mode (prometheus_client): each uvicorn worker process and each Celery worker process writes its
values to files in PROMETHEUS_MULTIPROC_DIR (the settings set it, before prometheus_client is imported), and
`/metrics` (octant.web.metrics) sums them at scrape time. At start, the web server (scripts/serve.py) and the
Celery worker (`worker_init`) remove the files of processes that are gone (`clean_directory`): a new run
starts from zero, and two components starting together never delete each other's files.

Names: `octant_*`; durations in seconds, sizes in bytes; labels are bounded (a route's template, never its
path; an error's class name, never its message)."""
import functools
import logging
import os
import re
import time
from pathlib import Path

from django.conf import settings

if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    settings.PROMETHEUS_MULTIPROC_DIR  # noqa: B018 - the settings set the directory before prometheus_client reads it
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest  # noqa: E402
from prometheus_client.core import GaugeMetricFamily  # noqa: E402
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead  # noqa: E402

logger = logging.getLogger(__name__)

# --- HTTP (octant.web.observe) ------------------------------------------------------------------------------
HTTP_REQUESTS = Histogram(
    "octant_http_request_duration_seconds", "HTTP requests: time to the answer's last byte, by route template",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
THROTTLED = Counter("octant_throttled_requests_total", "Requests refused by a throttle (429)", ["scope"])

# --- allocations --------------------------------------------------------------------------------------------
ALLOCATIONS = Counter("octant_allocations_total",
                      "Allocation requests (HTTP and websocket), accepted or refused by the error's class",
                      ["result", "reason"])

# --- websockets and broadcasts ------------------------------------------------------------------------------
WEBSOCKETS = Gauge("octant_websocket_connections", "Open Socket.IO websockets", multiprocess_mode="livesum")
BROADCASTS = Counter("octant_broadcasts_total", "Live-update broadcasts sent")
BROADCAST_BYTES = Counter("octant_broadcast_bytes_total", "Bytes of the text of every broadcast's frames")
BROADCAST_BUILD = Histogram("octant_broadcast_build_seconds", "Time to read and build one broadcast's frames",
                            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
BROADCAST_DELIVERY = Histogram(
    "octant_broadcast_delivery_seconds", "Time from a broadcast's start to its frames written to one socket",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
BROADCAST_LAST_SOCKET = Gauge(
    "octant_broadcast_last_socket_delay_seconds",
    "The last broadcast: time from its start to its frames written to the last socket (of any process)",
    multiprocess_mode="livemax")

# --- Celery -------------------------------------------------------------------------------------------------
TASKS = Counter("octant_celery_tasks_total", "Celery task runs by outcome (succeeded, failed, retried)",
                ["task", "outcome"])
TASK_DURATION = Histogram("octant_celery_task_duration_seconds", "Celery task run time", ["task"],
                          buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300))

# --- the chain and the epoch lifecycle ---------------------------------------------------------------------
CHAIN_HEAD = Gauge("octant_chain_head_block", "The chain's head block, read by the last beat tick",
                   multiprocess_mode="mostrecent")
CHAIN_INDEXED = Gauge("octant_chain_indexed_block",
                      "The last block indexed (the subgraph's head; the local chain indexes itself)",
                      multiprocess_mode="mostrecent")
CHAIN_EPOCH = Gauge("octant_chain_epoch", "The chain's current epoch and the last epoch indexed", ["which"],
                    multiprocess_mode="mostrecent")
TICK_LAST = Gauge("octant_epochs_tick_last_success_timestamp_seconds", "When a beat tick last completed",
                  multiprocess_mode="mostrecent")
SNAPSHOT_DURATION = Histogram("octant_snapshot_duration_seconds",
                              "Time to take an epoch's pending snapshot or its finalization", ["kind"],
                              buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600))
VERIFICATIONS = Counter("octant_epoch_verifications_total", "Epoch verification runs by result", ["result"])
VERIFICATION_PASSED = Gauge("octant_epoch_verification_passed", "The last verification of each epoch: 1 pass, 0 fail",
                            ["epoch"], multiprocess_mode="mostrecent")


# --- the helpers the code calls -----------------------------------------------------------------------------

def record_verification(*, epoch: int, passed: bool) -> None:
    """The result of an epoch's verification (the verification job calls it once per run)."""
    VERIFICATIONS.labels("pass" if passed else "fail").inc()
    VERIFICATION_PASSED.labels(str(epoch)).set(1 if passed else 0)


def counts_allocations(function):
    """Decorator of the function every allocation request goes through: counts it accepted, or refused with
    the class name of the error it raised (OctantError subclasses, ValidationError, ...)."""

    @functools.wraps(function)
    def counted(*args, **kwargs):
        try:
            result = function(*args, **kwargs)
        except Exception as exc:
            ALLOCATIONS.labels("refused", type(exc).__name__).inc()
            raise
        ALLOCATIONS.labels("accepted", "").inc()
        return result

    return counted


def times_snapshot(kind: str):
    """Decorator of a snapshot's `take`: observes its duration when it took one (returned an epoch)."""

    def decorate(function):
        @functools.wraps(function)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            result = function(*args, **kwargs)
            if result is not None:
                SNAPSHOT_DURATION.labels(kind).observe(time.perf_counter() - started)
            return result

        return timed

    return decorate


def socket_opened(consumer) -> None:
    if not getattr(consumer, "_metrics_counted", False):
        consumer._metrics_counted = True
        WEBSOCKETS.inc()


def socket_closed(consumer) -> None:
    if getattr(consumer, "_metrics_counted", False):
        consumer._metrics_counted = False
        WEBSOCKETS.dec()


def broadcast_sent(frames: list, *, build_seconds: float) -> None:
    """`frames`: PreparedFrames (their lengths are their texts' bytes)."""
    BROADCASTS.inc()
    BROADCAST_BYTES.inc(sum(map(len, frames)))
    BROADCAST_BUILD.observe(build_seconds)


_last_broadcast = {"at": None, "delay": 0.0}  # this process's slowest socket of the last broadcast


def broadcast_delivered(at: float | None) -> None:
    """A socket has written the frames of the broadcast that started at `at` (time.time(), in the message)."""
    if at is None:
        return
    delay = max(0.0, time.time() - at)
    BROADCAST_DELIVERY.observe(delay)
    if _last_broadcast["at"] != at:
        if _last_broadcast["at"] is not None and at < _last_broadcast["at"]:
            return  # a late socket of an older broadcast
        _last_broadcast.update(at=at, delay=0.0)
    if delay >= _last_broadcast["delay"]:
        _last_broadcast["delay"] = delay
        BROADCAST_LAST_SOCKET.set(delay)


def observe_chain(chain, *, epoch: int, indexed_epoch: int | None) -> None:
    """After a beat tick: the chain backend's head and indexed blocks and the epochs, and the tick's time.
    A metric never fails the tick: a backend that cannot answer leaves the last values."""
    TICK_LAST.set_to_current_time()
    CHAIN_EPOCH.labels("chain").set(epoch)
    if indexed_epoch is not None:
        CHAIN_EPOCH.labels("indexed").set(indexed_epoch)
    try:
        head, indexed = chain.block_height(), chain.indexed_height()
    except Exception:  # noqa: BLE001
        logger.warning("metrics: the chain's head or indexed block could not be read", exc_info=True)
        return
    if head is not None:
        CHAIN_HEAD.set(head)
    if indexed is not None:
        CHAIN_INDEXED.set(indexed)


# --- Celery signals (octant.celery connects them) ----------------------------------------------------------

_OUTCOMES = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried"}
_started: dict[str, float] = {}


def _task_started(task_id=None, **_):
    _started[task_id] = time.perf_counter()


def _task_finished(task_id=None, task=None, state=None, **_):
    started = _started.pop(task_id, None)
    name = getattr(task, "name", "?")
    TASKS.labels(name, _OUTCOMES.get(state, str(state).lower())).inc()
    if started is not None:
        TASK_DURATION.labels(name).observe(time.perf_counter() - started)


def _worker_starts(**_):
    """A Celery worker starts: a former run's values go; with METRICS_WORKER_PORT, the worker serves the
    scrape of this machine's processes itself, unauthenticated, on that port of METRICS_WORKER_HOST (a
    separate bind, for a worker with no web server beside it: a container of its own)."""
    clean_directory()
    if settings.METRICS_WORKER_PORT:
        from prometheus_client import start_http_server

        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        worker_server.append(start_http_server(settings.METRICS_WORKER_PORT, addr=settings.METRICS_WORKER_HOST,
                                               registry=registry)[0])


worker_server = []  # the worker's metrics server, if it serves one


def _worker_process_stops(**_):
    if directory():
        mark_process_dead(os.getpid())


def connect_celery() -> None:
    from celery import signals

    signals.task_prerun.connect(_task_started, weak=False)
    signals.task_postrun.connect(_task_finished, weak=False)
    signals.worker_init.connect(_worker_starts, weak=False)
    signals.worker_process_shutdown.connect(_worker_process_stops, weak=False)


def queue_lengths(app, queues) -> dict[str, int]:
    """Messages waiting in each Celery queue, from the broker (Redis lists, the file broker's files)."""
    lengths = {}
    with app.connection_for_read() as connection:
        connection.ensure_connection(max_retries=1, timeout=2)
        channel = connection.default_channel
        for queue in queues:
            try:
                lengths[queue] = channel.queue_declare(queue=queue, passive=True).message_count
            except Exception:  # noqa: BLE001 - kombu's "no such queue": nothing ever queued there
                lengths[queue] = 0
    return lengths


class QueueCollector:
    """`octant_celery_queue_length{queue}`, read from the broker at each scrape; none when it is down."""

    def __init__(self, app, queues):
        self.app, self.queues = app, sorted(set(queues))

    def collect(self):
        family = GaugeMetricFamily("octant_celery_queue_length", "Messages waiting in a Celery queue", labels=["queue"])
        try:
            for queue, length in queue_lengths(self.app, self.queues).items():
                family.add_metric([queue], length)
        except Exception:  # noqa: BLE001 - a scrape reports what it can
            logger.warning("metrics: the Celery broker could not be read", exc_info=True)
        yield family


# --- the directory and the exposition ----------------------------------------------------------------------

def directory() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


_PID = re.compile(r"_(\d+)\.db$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_directory(path: str | None = None) -> int:
    """Remove the value files of processes that are gone (a former run's) from the multiprocess directory,
    creating it if missing; returns how many were removed. Those of running processes stay: the web server
    and the Celery worker each clean at start, whichever starts first."""
    folder = Path(path or directory())
    if not str(folder):
        return 0
    folder.mkdir(parents=True, exist_ok=True)
    removed = 0
    for file in folder.glob("*.db"):
        match = _PID.search(file.name)
        if match is None or not _alive(int(match[1])):
            file.unlink(missing_ok=True)
            removed += 1
    return removed


def exposition(*collectors) -> bytes:
    """The text format of every process's values (or this process's alone, outside multiprocess mode), with
    `collectors` read now (the queue lengths)."""
    if directory():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY as registry
    for collector in collectors:
        registry.register(collector)
    try:
        return generate_latest(registry)
    finally:
        for collector in collectors:
            registry.unregister(collector)
