"""Start-up of `manage.py chain ...` (target: each command under 1 s), on a fresh migrated database.

    .venv/bin/python -m bench chain_command

Runs each command 5 times as a user would (`.venv/bin/python manage.py chain ...`, a new interpreter each
time) and prints the median and worst wall time and the median CPU time (user + system) of the process.
On a busy machine the wall time is mostly waiting for a core: the load average is printed with the figures.
"""
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 1.0
ADDRESS = "0x" + "ab" * 20
COMMANDS = [
    ["status"],
    ["configure", "--duration", "600", "--decision-window", "300"],
    ["lock", ADDRESS, "1000"],
    ["unlock", ADDRESS, "1"],
    ["proceeds", "1", "5"],
    ["project", "add", "1", ADDRESS, "--name", "A"],
    ["passport", ADDRESS, "20"],
    ["time", "--advance", "1"],
]


def _run(args, env) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    from bench._backends import fresh_database

    with fresh_database("octant_bench_chain_command") as database_url:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "octant.settings.base", "REDIS_URL": "",
               "DATABASE_URL": database_url}
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        _run(["chain", "configure", "--start", str(int(time.time())), "--duration", "600",
              "--decision-window", "300"], env)
        print(f"{'command':<32} {'median s':>9} {'worst s':>8} {'cpu s':>6}")
        worst_median = 0.0
        for args in COMMANDS:
            runs = [_run(["chain", *args], env) for _ in range(5)]
            walls = [wall for wall, _ in runs]
            median = statistics.median(walls)
            worst_median = max(worst_median, median)
            print(f"{'chain ' + args[0] + (' ' + args[1] if args[0] == 'project' else ''):<32} {median:>9.2f} "
                  f"{max(walls):>8.2f} {statistics.median(cpu for _, cpu in runs):>6.2f}")
    print(f"slowest median {worst_median:.2f} s (target < {TARGET_S} s); load average "
          + " ".join(f"{load:.1f}" for load in os.getloadavg()) + f" on {os.cpu_count()} cores")
    return 0 if worst_median < TARGET_S else 1
