"""The reward engine must import without Django (docs/rewards.md: the formulas live in pure modules)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CHECK = (
    "import deposits.engine, deposits.estimates, rewards.engine, rewards.variants, allocations.engine, "
    "octant.chain.proceeds_engine, "
    "antisybil.engine, withdrawals.engine, octant.core.signatures, sys; "
    "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules)"
)


def test_engine_modules_do_not_import_django():
    result = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
