#!/usr/bin/env python
"""Django's command line. A first run's usual mistakes get one line saying what to do instead of a traceback:
a setting missing (SECRET_KEY with DEBUG off), a database that cannot be reached (checked before the command,
as the connection pool would wait 30 s and then not say why) and a database not migrated yet."""
import os
import sys

NO_DATABASE = {"help", "--help", "-h", "version", "--version", "collectstatic", "makemigrations"}


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "octant.settings.base")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db.utils import ProgrammingError

    try:
        if (argv[1] if len(argv) > 1 else "help") not in NO_DATABASE:
            _check_database()
        execute_from_command_line(argv)
    except ImproperlyConfigured as error:
        sys.exit(f"Configuration error: {error}")
    except ProgrammingError:
        if not _unmigrated():
            raise
        sys.exit("The database has no tables yet (or lacks the newest): run `python manage.py migrate` first.")


def _check_database() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    params = connection.get_connection_params()
    try:
        connection.Database.connect(**params, connect_timeout=10).close()
    except connection.Database.OperationalError as error:
        reason = " ".join(str(error).splitlines()[0].rsplit("failed:", 1)[-1].replace("FATAL:", "").split())
        host, port, name = params.get("host"), params.get("port") or 5432, params.get("dbname")
        where = f"{host or 'localhost'}:{port}/{name}"
        if reason.startswith("database") and reason.endswith("does not exist"):
            createdb = " ".join(["createdb", *([f"-h {host}"] if host else []), f"-p {port}",
                                 *([f"-U {params['user']}"] if params.get("user") else []), name])
            sys.exit(f"Cannot use the database {where}: {reason}. Create it ({createdb}) or point DATABASE_URL at "
                     "one that exists.")
        sys.exit(f"Cannot connect to the database {where}: {reason}. Is PostgreSQL running there? Check "
                 "DATABASE_URL (unset: the embedded server under var/postgres).")


def _unmigrated() -> bool:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    except Exception:
        return False


if __name__ == "__main__":
    main(sys.argv)
