"""Answers kept as files (octant.web.answer_files) and the streamed lists that use them (json_list_response)."""
import os
import time

import pytest

from octant.web import answer_files
from octant.web.http import ChunkedResponse, json_list_response


def _chunks(started: list, rows):
    started.append(True)
    for row in rows:
        yield [row]


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _kept(settings) -> list[str]:
    folder = settings.ANSWER_CACHE_DIR
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_built_once_then_served_from_the_file(db, settings):
    started = []
    first = json_list_response("items", _chunks(started, [{"n": 1}, {"n": 2}]), cache=("items-1", "s1"))
    assert isinstance(first, ChunkedResponse) and not first.has_header("Content-Length")
    assert _body(first) == b'{"items":[{"n":1},{"n":2}]}' and started == [True]
    second = json_list_response("items", _chunks(started, [{"n": 3}]), cache=("items-1", "s1"))
    assert isinstance(second, answer_files.FileAnswer)
    assert _body(second) == b'{"items":[{"n":1},{"n":2}]}'
    assert second["Content-Length"] == str(len(b'{"items":[{"n":1},{"n":2}]}'))
    assert started == [True]  # the rows of the second request were never read
    second.close()


def test_another_state_is_built_and_replaces_the_older_file(db, settings):
    started = []
    _body(json_list_response("items", _chunks(started, [1]), cache=("items-1", "s1")))
    _body(json_list_response("items", _chunks(started, [9]), cache=("items-10", "s1")))  # another name
    assert len(_kept(settings)) == 2
    newer = json_list_response("items", _chunks(started, [2]), cache=("items-1", "s2"))
    assert isinstance(newer, ChunkedResponse) and _body(newer) == b'{"items":[2]}'
    path = answer_files.answer_path(name="items-1", key="s2")
    assert _kept(settings) == sorted([path.name, answer_files.answer_path(name="items-10", key="s1").name])
    assert _body(json_list_response("items", _chunks(started, []), cache=("items-1", "s2"))) == b'{"items":[2]}'
    assert len(started) == 3


def test_no_state_no_file(db, settings):
    started = []
    for _ in range(2):
        response = json_list_response("items", _chunks(started, [1]), cache=("items-1", None))
        assert isinstance(response, ChunkedResponse) and _body(response) == b'{"items":[1]}'
    assert started == [True, True] and _kept(settings) == []


def test_a_body_not_streamed_to_the_end_is_not_kept(db, settings):
    def failing():
        yield [1]
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        _body(json_list_response("items", failing(), cache=("items-1", "s1")))
    assert _kept(settings) == []
    response = json_list_response("items", _chunks([], [1, 2, 3]), cache=("items-1", "s1"))
    parts = iter(response.streaming_content)
    next(parts), next(parts)
    response.close()  # the client went away (last: closing a response closes the database connection)
    assert _kept(settings) == []


def test_an_unusable_cache_directory_only_costs_the_cache(db, settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    settings.ANSWER_CACHE_DIR = str(blocker / "answers")
    for _ in range(2):
        response = json_list_response("items", _chunks([], [1]), cache=("items-1", "s1"))
        assert isinstance(response, ChunkedResponse) and _body(response) == b'{"items":[1]}'
    settings.ANSWER_CACHE_DIR = str(tmp_path / "answers")
    _body(json_list_response("items", _chunks([], [1]), cache=("items-1", "s1")))
    answer_files.answer_path(name="items-1", key="s1").unlink()  # the file removed by hand: built again
    again = json_list_response("items", _chunks([], [2]), cache=("items-1", "s1"))
    assert isinstance(again, ChunkedResponse) and _body(again) == b'{"items":[2]}'


def test_stale_temporary_files_are_removed(db, settings, tmp_path):
    folder = tmp_path / "answers"
    folder.mkdir()
    old, fresh = folder / ".items-1.dead.tmp", folder / ".items-1.busy.tmp"
    old.write_text("half")
    fresh.write_text("half")
    os.utime(old, (time.time() - answer_files.STALE_TEMP_SECONDS - 10,) * 2)
    _body(json_list_response("items", _chunks([], [1]), cache=("items-1", "s1")))
    assert not old.exists() and fresh.exists()


def test_the_path_depends_on_name_and_key(db):
    paths = {answer_files.answer_path(name=n, key=k) for n in ("a-1", "a-2") for k in ("s1", "s2")}
    assert len(paths) == 4
    assert answer_files.answer_path(name="a-1", key="s1") == answer_files.answer_path(name="a-1", key="s1")
    with pytest.raises(ValueError):
        answer_files.answer_path(name="../a", key="s1")


def test_database_identity_names_the_database(db):
    from django.db import connection

    identity = answer_files.database_identity()
    info = connection.connection.info
    assert identity.startswith(f"{info.host}:{info.port}:{connection.settings_dict['NAME']}:")


@pytest.mark.django_db(transaction=True)
async def test_asgi_reads_the_file_in_big_chunks(tmp_path):
    data = os.urandom(answer_files.CHUNK * 2 + 12345)
    path = tmp_path / "body.json"
    path.write_bytes(data)
    response = answer_files.FileAnswer(open(path, "rb", buffering=0))
    assert response["Content-Length"] == str(len(data))
    parts = [part async for part in response]
    assert [len(p) for p in parts] == [answer_files.CHUNK, answer_files.CHUNK, 12345] and b"".join(parts) == data
    response.close()


def test_one_request_at_a_time_writes_an_answer(db, settings, tmp_path):
    path = answer_files.answer_path(name="items-1", key="s1")
    path.parent.mkdir(parents=True)
    writer = path.parent / f".{path.name}.other.tmp"  # another request writing the same answer
    writer.write_text("half")
    _body(json_list_response("items", _chunks([], [1]), cache=("items-1", "s1")))
    assert _kept(settings) == [writer.name]
    os.utime(writer, (time.time() - answer_files.WRITER_ALIVE_SECONDS - 1,) * 2)  # that writer died
    _body(json_list_response("items", _chunks([], [1]), cache=("items-1", "s1")))
    assert path.read_bytes() == b'{"items":[1]}'


def test_the_source_digest_follows_the_code(tmp_path):
    (tmp_path / "app" / "sub").mkdir(parents=True)
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "sub" / "views.py").write_text("A = 1\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "__init__.py").write_text("")
    (tmp_path / "scripts").mkdir()  # not a package
    before = answer_files.source_digest(tmp_path)
    (tmp_path / "tests" / "test_x.py").write_text("B = 2\n")
    (tmp_path / "scripts" / "run.py").write_text("C = 3\n")
    assert answer_files.source_digest(tmp_path) == before
    (tmp_path / "app" / "sub" / "views.py").write_text("A = 2\n")
    assert answer_files.source_digest(tmp_path) != before
