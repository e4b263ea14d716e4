"""The test command says why each skipped test was skipped (issue 25, item 14): pytest.ini's options, which
scripts/test.sh and .ci/run use, report the reasons."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_skipped_tests_show_their_reason(tmp_path):
    (tmp_path / "test_probe.py").write_text(
        "import pytest\n\ndef test_runs():\n    pass\n\n"
        "def test_needs_a_browser():\n    pytest.skip('chromium is not installed')\n")
    run = subprocess.run([sys.executable, "-m", "pytest", "-c", str(ROOT / "pytest.ini"), "-p", "no:django",
                          "-p", "no:randomly", str(tmp_path / "test_probe.py")],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SKIPPED [1]" in run.stdout and "chromium is not installed" in run.stdout, run.stdout
