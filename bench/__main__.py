"""Run the benchmarks: `python -m bench` runs every bench/bench_*.py, `python -m bench NAME...` the named
ones (`snapshot` or `bench_snapshot`). Each runs its `main()` in a process of its own, so memory figures
are per benchmark. Exits non-zero if any benchmark fails (an error, or a missed target)."""
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    available = sorted(path.stem for path in HERE.glob("bench_*.py"))
    names = [name if name.startswith("bench_") else f"bench_{name}" for name in argv] or available
    unknown = [name for name in names if name not in available]
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}; available: {', '.join(available)}", file=sys.stderr)
        return 2
    failed = []
    for name in names:
        print(f"\n=== {name} " + "=" * (70 - len(name)), flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, "-c", f"import sys, bench.{name} as b; sys.exit(b.main())"],
                               cwd=HERE.parent)
        print(f"--- {name}: {'ok' if code == 0 else f'FAILED (exit {code})'} in {time.perf_counter() - started:.0f} s",
              flush=True)
        if code:
            failed.append(name)
    if len(names) > 1:
        print(f"\n{len(names) - len(failed)} of {len(names)} benchmarks ok" + (f"; failed: {', '.join(failed)}"
                                                                              if failed else ""))
    return 1 if failed else 0


sys.exit(main(sys.argv[1:]))
