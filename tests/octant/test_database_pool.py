"""The connection pool (settings DATABASES OPTIONS pool) on the real PostgreSQL: connections the server has
dropped (a restart, pg_terminate_backend, an idle timeout) are never handed to a request (issue 25, item 8)."""
import psycopg
import pytest
from django.db import close_old_connections, connection
from rest_framework.test import APIClient


def _terminate_backends():
    """Ends every session of the test database but this one, as a server restart or an admin would."""
    params = connection.get_connection_params()
    params.pop("pool", None)
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        killed = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                               " WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()[0]
    return killed


def _get(api, path):
    response = api.get(path)
    close_old_connections()  # what a server does at the end of a request (the test client leaves it out):
    return response  # the request's connection goes back to the pool


@pytest.mark.django_db(transaction=True)
def test_requests_after_the_servers_connections_were_terminated_succeed(scheduled_chain):
    assert connection.pool is not None  # the settings' pool is what is tested
    api = APIClient()
    assert _get(api, "/epochs/current").status_code == 200
    for _ in range(3):
        assert _terminate_backends() >= 1  # the pool's idle connection(s)
        for _ in range(3):
            response = _get(api, "/epochs/current")
            assert response.status_code == 200, response.content[:300]
            assert response["Content-Type"] == "application/json"
