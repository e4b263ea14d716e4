"""Big answers kept as files, one per state of the data they show, and served from those files.

A cached answer has a name (which list: `allocations-4-nonzero`) and a key (the state of the data it was
built from, given by the caller's selector). The file of (name, key) lives in settings.ANSWER_CACHE_DIR as
`<name>.<digest>.json`; the digest also covers the database (its settings, and on PostgreSQL the
database's oid, new when it is created again), the settings that change a figure
(octant.core.cache.figures_version) and the project's source code, so that a file built from another
database, under other rules or by other code is never served.

A miss streams the freshly built body to the client and writes it at the same time to a temporary file in
the same directory; only a body streamed to the end is moved into place (os.replace: atomic, so another
process finds either no file or a whole one), and then the older files of the same name are removed (a
request still streaming one keeps reading it: an open file outlives its name). While one request writes an
answer, the others that miss it only stream theirs; two that start at the same moment both write a whole
copy, and the last one moved into place wins. A hit streams the file in reads of `CHUNK` bytes, its
Content-Length known, never holding the body whole in memory.

Any error of the cache directory (missing and impossible to create, not writable, full) only costs the
cache: the answer is built as if there were none."""
import hashlib
import logging
import os
import re
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import StreamingHttpResponse

from octant.core.cache import figures_version

logger = logging.getLogger(__name__)

CHUNK = 1 << 20  # bytes per read of a cached answer
WRITER_ALIVE_SECONDS = 60  # a temporary file written to this recently: its answer is being built
STALE_TEMP_SECONDS = 3600  # a temporary file this old was left by a build that died: removed
NAME = re.compile(r"[a-z0-9-]+")


class StreamedAnswer(StreamingHttpResponse):
    """A streamed response that can also give its whole body as text (the test client's json() reads it)."""

    @property
    def text(self):
        if not hasattr(self, "_text"):
            self._text = b"".join(self.streaming_content).decode()
        return self._text


class FileAnswer(StreamedAnswer):
    """A response whose body is an open file, read `CHUNK` bytes at a time: under ASGI on the event loop
    itself (a MiB from the page cache takes well under a millisecond, and the server's flow control paces
    the reads), elsewhere (WSGI, the test client) as a plain iterator. Content-Length is the size of the
    open file, which can no longer change: cache files are replaced, never rewritten.

    Not in an executor thread: with a wait on one between reads, the request's thread took a database
    connection from the pool again after giving it back and never returned it (seen in one answer in three
    to ten, until every request of the process waited for a connection and failed after 30 s)."""

    def __init__(self, file, *, content_type: str = "application/json"):
        super().__init__(iter(lambda: file.read(CHUNK), b""), content_type=content_type)
        self._file = file
        self._resource_closers.append(file.close)
        self["Content-Length"] = str(os.fstat(file.fileno()).st_size)

    async def __aiter__(self):
        while part := self._file.read(CHUNK):
            yield part


def directory() -> Path | None:
    """The cache directory (settings.ANSWER_CACHE_DIR); None when the setting is empty: no cache."""
    location = getattr(settings, "ANSWER_CACHE_DIR", "")
    return Path(location) if location else None


def answer_path(*, name: str, key: str) -> Path | None:
    """Where the answer `name` built in state `key` is kept (None without a cache directory)."""
    if not NAME.fullmatch(name):
        raise ValueError(f"answer name {name!r}: lowercase letters, digits and dashes only")
    folder = directory()
    if folder is None:
        return None
    digest = hashlib.sha256("\n".join([code_stamp(), database_identity(), figures_version(), key]).encode())
    digest = digest.hexdigest()[:40]
    return folder / f"{name}.{digest}.json"


def open_answer(path: Path | None):
    """The kept answer at `path` opened for reading (unbuffered: each read is one system call of up to
    `CHUNK` bytes), or None if there is none or it cannot be read."""
    if path is None:
        return None
    try:
        return open(path, "rb", buffering=0)
    except FileNotFoundError:
        return None
    except OSError:
        logger.warning("cached answer %s unreadable; building it", path, exc_info=True)
        return None


def recorded(parts, *, path: Path | None):
    """`parts` (an iterator of bytes) passed through unchanged, and written to a temporary file beside
    `path` on the way; when the last part has been passed on, the file is moved to `path` and the older
    answers of the same name are removed. A consumer that stops early (the client went away) or an error
    leaves nothing behind. Without `path`, or if the directory fails, the parts are only passed through."""
    out, temp = _temporary(path) if path is not None else (None, None)
    finished = False
    try:
        for part in parts:
            if out is not None:
                try:
                    out.write(part)
                except OSError:
                    logger.warning("writing the cached answer %s failed; not cached", path, exc_info=True)
                    out.close()
                    out = _discard(temp)
            yield part
        finished = True
    finally:
        if out is not None:
            try:
                out.close()
                if finished:
                    os.replace(temp, path)
                    _remove_older(path)
                else:
                    _discard(temp)
            except OSError:
                logger.warning("storing the cached answer %s failed", path, exc_info=True)
                _discard(temp)


def _temporary(path: Path):
    """A new temporary file of this process beside `path` (named `.<answer's file name>.<random>.tmp`), or
    (None, None) when another request is writing the same answer (its temporary file was written to in the
    last WRITER_ALIVE_SECONDS: one copy on disk at a time, whatever the number of requests) or the
    directory fails."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        now = time.time()
        for other in path.parent.glob(f".{path.name}.*.tmp"):
            try:
                if now - other.stat().st_mtime < WRITER_ALIVE_SECONDS:
                    return None, None
            except FileNotFoundError:
                pass
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        return os.fdopen(handle, "wb", buffering=CHUNK), temp
    except OSError:
        logger.warning("no cache file for %s; answering without the cache", path, exc_info=True)
        return None, None


def _discard(temp) -> None:
    try:
        os.unlink(temp)
    except OSError:
        pass


def _remove_older(path: Path) -> None:
    """Remove the other answers of `path`'s name (built in earlier states), and temporary files of that
    name left by builds that died."""
    name = path.name.split(".", 1)[0]
    for other in path.parent.glob(f"{name}.*.json"):
        if other != path:
            _discard(other)
    for temp in path.parent.glob(f".{name}.*.tmp"):
        try:
            if time.time() - temp.stat().st_mtime > STALE_TEMP_SECONDS:
                _discard(temp)
        except OSError:
            pass


def database_identity() -> str:
    """Which database the answers are read from: its server (host or socket folder, port), its name and its
    oid (a database dropped and created again under the same name gets a new one)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
        info = connection.connection.info
        return f"{info.host}:{info.port}:{info.dbname}:{cursor.fetchone()[0]}"


_stamp: list[str] = []
_stamp_lock = threading.Lock()


def code_stamp() -> str:
    """A digest of the project's Python source (`source_digest` of settings.BASE_DIR), computed once per
    process: an answer kept by other code (its format may differ) is not served."""
    with _stamp_lock:
        if not _stamp:
            _stamp.append(source_digest(Path(settings.BASE_DIR)))
        return _stamp[0]


def source_digest(base: Path) -> str:
    """sha256 of the names and contents of the .py files of every package at the top of `base` (a folder
    with an __init__.py, not a symbolic link) but `tests`."""
    digest = hashlib.sha256()
    for package in sorted(base.iterdir()):
        if package.name == "tests" or package.is_symlink() or not (package / "__init__.py").is_file():
            continue
        for source in sorted(package.rglob("*.py")):
            digest.update(str(source.relative_to(base)).encode() + b"\0" + source.read_bytes() + b"\0")
    return digest.hexdigest()
