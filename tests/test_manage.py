"""manage.py's first-run mistakes answer in one line that says what to do, at once (issue 25, item 13): a
database not migrated yet, SECRET_KEY missing with DEBUG off, a database that does not exist."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def manage(*args, **environment) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items()
           if key not in ("DJANGO_SETTINGS_MODULE", "REDIS_URL", "SECRET_KEY", "DEBUG")} | environment
    # the timeout is below the connection pool's 30 s wait: a hang fails the test
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=20)


def _one_line(result) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == "" and len(result.stderr.splitlines()) == 1, result.stderr
    return result.stderr


def test_a_command_before_the_first_migrate_says_to_migrate(scratch_database_url):
    line = _one_line(manage("chain", "status", DATABASE_URL=scratch_database_url))
    assert "run `python manage.py migrate` first" in line


def test_a_missing_secret_key_with_debug_off_says_how_to_set_it(scratch_database_url):
    line = _one_line(manage("chain", "status", DATABASE_URL=scratch_database_url, DEBUG="0"))
    assert "SECRET_KEY is required when DEBUG is off" in line and ".env" in line


def test_a_database_that_does_not_exist_is_named_at_once(scratch_database_url):
    missing = scratch_database_url.replace("/scratch_", "/missing_")
    name = missing.split("/")[-1].split("?")[0]
    line = _one_line(manage("chain", "status", DATABASE_URL=missing))
    assert f'database "{name}" does not exist' in line and "createdb" in line and "DATABASE_URL" in line
