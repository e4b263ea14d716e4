"""Shared fixtures live in fixture modules (tests/fixtures), loaded for every test here."""
pytest_plugins = [
    "tests.fixtures.chain",  # api, chain, scheduled_chain; START, DURATION, WINDOW; sync()
    "tests.fixtures.window",  # window: epoch 4's allocation window with three budgets; sign()
    "tests.fixtures.safe",  # safe_window, safe_service: a 2-of-3 Safe and its Transaction Service
    "tests.fixtures.http",  # http_stub: a scripted HTTP server on 127.0.0.1
    "tests.fixtures.locks",  # two_epochs: locks and unlocks through the `chain` commands
    "tests.fixtures.databases",  # scratch_database_url: a throwaway database for a test's processes
]


import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _close_connection_pools(django_db_setup, django_db_blocker):
    """On PostgreSQL each process keeps a connection pool (settings DATABASE_POOL_SIZE): close it before the
    test database is dropped, or the pool's idle connections keep the database busy."""
    yield
    from django.db import connections

    connections.close_all()  # this thread's connection back to the pool first
    for connection in connections.all():
        if getattr(connection, "pool", None) is not None:
            with django_db_blocker.unblock(), connection.cursor() as cursor:  # sessions other threads still hold
                cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                               " WHERE datname = current_database() AND pid <> pg_backend_pid()")
            connection.close()
            connection.close_pool()


@pytest.fixture(autouse=True)
def _answer_cache_dir(settings, tmp_path):
    """Each test keeps its cached answers (octant.web.answer_files) in a directory of its own: the
    databases of two tests can be in the same state with different rows."""
    settings.ANSWER_CACHE_DIR = str(tmp_path / "answers")
