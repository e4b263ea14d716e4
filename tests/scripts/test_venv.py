"""scripts/_venv.sh installs the development requirements (the runtime ones and the test tools) into .venv,
and installs them again whenever requirements.txt or requirements-dev.txt changes (issue 25, item 2)."""
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_venv_installs_the_dev_requirements_again_when_either_file_changes(tmp_path):
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "_venv.sh", tmp_path / "scripts")
    for name in ("requirements.txt", "requirements-dev.txt"):
        shutil.copy(ROOT / name, tmp_path)
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    log = tmp_path / "pip.log"
    python.write_text(f'#!/bin/sh\necho "$*" >> {log}\n')  # stands in for the interpreter's pip
    python.chmod(0o755)

    def installs() -> list[str]:
        subprocess.run(["bash", "-c", "source scripts/_venv.sh"], cwd=tmp_path, check=True, capture_output=True)
        lines = log.read_text().splitlines() if log.exists() else []
        log.unlink(missing_ok=True)
        return lines

    [first] = installs()
    assert first.endswith("-r requirements-dev.txt")
    assert installs() == []  # nothing changed
    with (tmp_path / "requirements-dev.txt").open("a") as f:
        f.write("pytest-timeout==2.4.0\n")
    assert len(installs()) == 1
    assert installs() == []
    with (tmp_path / "requirements.txt").open("a") as f:
        f.write("tqdm==4.70.1\n")
    assert len(installs()) == 1
