"""The one-way architecture (ARCHITECTURE.md), enforced: the import-linter contract in `.importlinter` holds,
it fails on an upward import (also one inside a function), it places every module, and no function imports
another app's module without a comment saying why."""
import ast
import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["octant", "allocations", "antisybil", "deposits", "epochs", "glm", "multisig", "projects", "users",
            "withdrawals"]
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
        "sys.exit(lint_imports_command())", "--no-cache"]


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(LINT, cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"})


def _modules() -> list[str]:
    """Every module of our packages except migrations and package roots."""
    found = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts or ".venv" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if len(parts) > 1 and parts != ("octant", "chain"):  # package roots hold no code of their own
                found.append(".".join(parts))
    return sorted(found)


def _layers() -> list[list[str]]:
    config = configparser.ConfigParser(inline_comment_prefixes=None)
    config.read(ROOT / ".importlinter")
    lines = config["importlinter:contract:layers"]["layers"].splitlines()
    return [[m.strip() for m in line.split(":")] for line in lines if line.strip() and not line.startswith(";")]


def test_the_contract_holds():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Apps depend downward only KEPT" in result.stdout


@pytest.mark.parametrize("module, line", [
    ("users/selectors.py", "from epochs import snapshots  # an upward import\n"),
    ("deposits/models.py", "def _later():\n    from allocations import services  # upward, inside a function\n"),
    ("octant/core/fields.py", "import epochs.models\n"),
])
def test_an_upward_import_breaks_it(tmp_path, module, line):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    assert _lint(tmp_path).returncode == 0  # the copy holds before the change
    with open(tmp_path / module, "a") as file:
        file.write("\n" + line)
    result = _lint(tmp_path)
    assert result.returncode != 0
    importer = module.removesuffix(".py").replace("/", ".")
    assert f"- {importer} -> " in result.stdout


def test_every_module_has_a_layer():
    listed = [m for layer in _layers() for m in layer]
    assert len(listed) == len(set(listed)), "a module is listed twice"
    unplaced = [m for m in _modules() if not any(m == entry or m.startswith(entry + ".") for entry in listed)]
    assert unplaced == [], "add these modules to a layer in .importlinter"


def _commented(lines: list[str], lineno: int) -> bool:
    """A comment on the import's line or on the line above it."""
    return "#" in lines[lineno - 1] or lines[lineno - 2].strip().startswith("#")


def test_cross_app_imports_inside_functions_say_why():
    """Imports sit at the top of a module; one of another app inside a function (to keep a command fast, or
    because the module loads before the apps) carries a comment on its line or the line above."""
    silent = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            source = path.read_text()
            lines = source.splitlines()
            parts = path.relative_to(ROOT).with_suffix("").parts
            own = ".".join(parts[:2]) if package == "octant" else package
            for function in ast.walk(ast.parse(source)):
                if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                for node in ast.walk(function):
                    if isinstance(node, ast.ImportFrom) and node.level == 0:
                        names = [node.module]
                    elif isinstance(node, ast.Import):
                        names = [alias.name for alias in node.names]
                    else:
                        continue
                    for name in names:
                        app = ".".join(name.split(".")[:2]) if name.startswith("octant.") else name.split(".")[0]
                        if (app.split(".")[0] in PACKAGES and app not in (own, "octant.core")
                                and not _commented(lines, node.lineno)):
                            silent.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert silent == [], "\n".join(silent)


DRF = ("rest_framework", "drf_spectacular", "octant.web")  # octant.web: our DRF glue (parsers, fields, errors)


def _imported(path: Path) -> list[tuple[int, str]]:
    """Every module `path` imports (at the top or inside a function), with its line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def test_reads_writes_and_composition_import_no_drf():
    """Services, selectors, models and the composition layer take and return plain Python values: DRF
    (parsing input, rendering the wire) belongs to the interface layer (apis.py, inputs.py, consumers)."""
    composition = {ROOT / (module.replace(".", "/") + ".py") for module in _layers()[3]}  # 3. composition
    paths = [path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
             if "migrations" not in path.parts
             and (path.name in ("services.py", "selectors.py", "models.py") or path in composition)]
    assert len(paths) > 20 and composition <= set(paths)
    drf = [f"{path.relative_to(ROOT)}:{line} {name}" for path in paths for line, name in _imported(path)
           if name.split(".")[0] in DRF or ".".join(name.split(".")[:2]) in DRF]
    assert drf == [], "\n".join(drf)


def test_test_code_stays_out_of_production(tmp_path):
    """The test servers (tests/peers.py), like the rest of tests/ and bench/, are not imported by the production
    packages: the contract breaks on such an import, inside a function too."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    with open(tmp_path / "octant/chain/local.py", "a") as file:
        file.write("\ndef _later():\n    from tests.peers import Deployment  # the test servers\n")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "octant is not allowed to import tests" in result.stdout
    assert "-   octant.chain.local -> tests" in result.stdout
