"""Logs a person can follow: one JSON object a line (`JsonFormatter`, the LOGGING setting's), each carrying the
fields of the unit of work it was written in: the request id, and the user address and epoch once known.

A unit of work (an HTTP request: octant.web.observe; a Celery task: the signals below) opens a context, a
dict in a context variable, so that code below it adds fields (`bind(user=..., epoch=...)`) without passing
anything down; the dict is shared by the threads and tasks the work runs in (asgiref and asyncio copy the
variable, not the dict). A task queued inside a request carries the request id in its message headers.

Nothing secret is written: no body, header or query string is logged, and a formatted line is scrubbed of
signature-long hex strings and bearer tokens all the same."""
import contextlib
import contextvars
import json
import logging
import re
import time
import uuid

_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("octant_log_context", default=None)

SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# 130 hex digits is a signature (65 bytes; a Safe's concatenate several); addresses (40) and hashes (64) stay.
# Two patterns: one alternation of both took six times as long.
_SIGNATURES = re.compile(r"[0-9a-fA-F]{130,}")
_BEARER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr]\s+[^\s\"',]+")


def request_id(offered: str | None = None) -> str:
    """The offered id (an incoming X-Request-ID) if it is sane, else a new one."""
    if offered and SANE_REQUEST_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


@contextlib.contextmanager
def context(**fields):
    """A unit of work's log fields, for the code it runs (and the tasks it queues: `current_request_id`)."""
    token = _context.set({key: value for key, value in fields.items() if value is not None})
    try:
        yield _context.get()
    finally:
        _context.reset(token)


def bind(**fields) -> None:
    """Add fields (user, epoch) to the current unit of work's log lines; nothing outside one."""
    current = _context.get()
    if current is not None:
        current.update({key: value for key, value in fields.items() if value is not None})


def current() -> dict:
    return _context.get() or {}


def current_request_id() -> str | None:
    return current().get("request_id")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the unit of work's fields, the record's `extra`
    fields, and the traceback if any."""

    # what every record has, and Django's `request` (its repr shows the query string)
    _standard = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName", "request"}

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        line.update(current())
        line.update({key: value for key, value in vars(record).items() if key not in self._standard})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return _BEARER.sub("[redacted]", _SIGNATURES.sub("[redacted]", json.dumps(line, default=str, ensure_ascii=False)))


# --- Celery: the request id in the headers of the tasks a request queues, a context and a line per task -----

task_logger = logging.getLogger("octant.tasks")
_tasks: dict[str, tuple] = {}


def _before_publish(headers=None, **_):
    rid = current_request_id()
    if rid is not None and headers is not None:
        headers["request_id"] = rid


def _task_started(task_id=None, task=None, **_):
    request = getattr(task, "request", None)
    rid = getattr(request, "request_id", None) or current_request_id()  # eager: the caller's own
    manager = context(request_id=rid, task=getattr(task, "name", None), task_id=task_id)
    manager.__enter__()
    _tasks[task_id] = (manager, time.perf_counter())


def _task_finished(task_id=None, task=None, state=None, **_):
    manager, started = _tasks.pop(task_id, (None, None))
    if manager is None:
        return
    try:
        retries = getattr(getattr(task, "request", None), "retries", 0)
        task_logger.info("task %s", str(state).lower(), extra={
            "state": state, "duration_ms": round((time.perf_counter() - started) * 1000, 1), "retries": retries})
    finally:
        manager.__exit__(None, None, None)


def _json_handlers(logger=None, **_):
    """Celery sets up its own handlers (its --logfile): they write our JSON lines too."""
    for handler in getattr(logger, "handlers", []):
        handler.setFormatter(JsonFormatter())


def connect_celery() -> None:
    from celery import signals

    signals.before_task_publish.connect(_before_publish, weak=False)
    signals.task_prerun.connect(_task_started, weak=False)
    signals.task_postrun.connect(_task_finished, weak=False)
    signals.after_setup_logger.connect(_json_handlers, weak=False)
    signals.after_setup_task_logger.connect(_json_handlers, weak=False)
