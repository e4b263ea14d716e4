"""The one-way architecture (ARCHITECTURE.md), enforced: the import-linter contracts in `.importlinter` hold
and fail on a wrong import (also one inside a function), they place every module, no folder imports one that
imports it back, and no function imports another app's module without a comment saying why."""
import ast
import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
        "sys.exit(lint_imports_command())", "--no-cache"]


def _config() -> configparser.ConfigParser:
    config = configparser.ConfigParser(inline_comment_prefixes=None)
    config.read(ROOT / ".importlinter")
    return config


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip() and not line.strip().startswith(";")]


PACKAGES = _lines(_config()["importlinter"]["root_packages"])


def _contracts() -> list[configparser.SectionProxy]:
    config = _config()
    return [config[name] for name in config.sections() if name.startswith("importlinter:contract:")]


def _layers(contract: configparser.SectionProxy) -> list[list[str]]:
    """The contract's layers, highest first, each as its names (without the parentheses of optional ones)."""
    return [[name.strip().strip("()") for name in re.split(r"[:|]", line)] for line in _lines(contract["layers"])]


def _contract(name: str) -> configparser.SectionProxy:
    return next(contract for contract in _contracts() if contract["name"] == name)


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(LINT, cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"})


def _modules(root: Path = ROOT) -> list[str]:
    """Every module of our packages except migrations and package roots."""
    found = []
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            if "migrations" in parts or ".venv" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if len(parts) > 1 and parts != ("octant", "chain"):  # package roots hold no code of their own
                found.append(".".join(parts))
    return sorted(found)


def test_the_contracts_hold():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    names = [contract["name"] for contract in _contracts()]
    assert len(names) >= 6 and all(f"{name} KEPT" in result.stdout for name in names), result.stdout


@pytest.mark.parametrize("module, line, contract", [
    ("users/selectors.py", "from lifecycle import snapshots  # an upward import\n", "Packages depend downward only"),
    ("deposits/models.py", "def _later():\n    from allocations import services  # upward, inside a function\n",
     "Packages depend downward only"),
    ("octant/core/exceptions.py", "import epochs.models\n", "Packages depend downward only"),
    ("rewards/engine.py", "from deposits import engine as deposits_engine\n", "Packages depend downward only"),
    ("epochs/models.py", "from epochs import selectors\n", "Inside each domain app: interface, writes, reads, models, math"),
    ("lifecycle/snapshots.py", "from lifecycle import apis\n", "Inside lifecycle: interface over composition"),
    ("rewards/variants.py", "def _later():\n    from rewards import engine\n", "Inside rewards: the engine over the variants"),
    ("withdrawals/selectors.py", "from multisig import models\n", "The top domain apps import none of each other"),
    ("projects/selectors.py", "from users.models import User\n", "Projects and users import none of each other"),
    ("allocations/selectors.py", "from deposits import services\n", "Selectors never write"),
])
def test_a_wrong_import_breaks_its_contract(tmp_path, module, line, contract):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    assert _lint(tmp_path).returncode == 0  # the copy holds before the change
    with open(tmp_path / module, "a") as file:
        file.write("\n" + line)
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert f"{contract} BROKEN" in result.stdout, result.stdout
    importer = module.removesuffix(".py").replace("/", ".")
    assert re.search(rf"^-\s+{re.escape(importer)} -> ", result.stdout, re.MULTILINE), result.stdout


def test_every_module_has_a_layer():
    """In the packages' layers (whole packages, octant's modules one by one), and every package but octant in
    layers of its own (a contract with the package among its containers) that name each of its modules."""
    listed = [name for layer in _layers(_contract("Packages depend downward only")) for name in layer]
    assert len(listed) == len(set(listed)), "a package or module is listed twice"
    unplaced = [m for m in _modules() if not any(m == entry or m.startswith(entry + ".") for entry in listed)]
    own = {}
    for contract in _contracts():
        if contract.get("type") == "layers" and "containers" in contract:
            for container in _lines(contract["containers"]):
                own[container] = {name for layer in _layers(contract) for name in layer}
    assert set(own) == set(PACKAGES) - {"octant"}, "give the package a layers contract of its own"
    unplaced += [m for m in _modules() if m.split(".")[0] in own and m.split(".")[1] not in own[m.split(".")[0]]]
    assert unplaced == [], "add these modules to a layer in .importlinter"


# --- folders ------------------------------------------------------------------------------------------------


def _folder(module: str, root: Path) -> str | None:
    """The folder a module is in: its package, or octant's subpackage; None for octant's own modules (the
    entry points: settings, URLs, ASGI and Celery apps, routing, which may import anything)."""
    parts = module.split(".")
    if parts[0] == "octant":
        return f"octant/{parts[1]}" if len(parts) > 1 and (root / "octant" / parts[1]).is_dir() else None
    return parts[0] if parts[0] in PACKAGES else None


def _folder_imports(root: Path) -> dict[tuple[str, str], list[str]]:
    """(importing folder, imported folder) -> the import lines, from every module (imports inside functions
    included) but migrations."""
    found = {}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            if "migrations" in parts or (source := _folder(".".join(parts), root)) is None:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    base = ".".join(parts[:-node.level] + ((node.module,) if node.module else ()))
                    names = [base] + [f"{base}.{alias.name}" for alias in node.names]
                else:
                    continue
                for target in {_folder(name, root) for name in names} - {None, source}:
                    found.setdefault((source, target), []).append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def _folder_cycles(imports: dict) -> list[set[str]]:
    """The groups of folders that import one another, through any chain of folders."""
    reach = {}
    for source, target in imports:
        reach.setdefault(source, set()).add(target)
    changed = True
    while changed:  # the transitive closure: a few dozen folders
        changed = False
        for source, targets in reach.items():
            more = set().union(*(reach.get(target, set()) for target in targets)) - targets
            if more:
                targets |= more
                changed = True
    cycles = []
    for folder in sorted(reach):
        group = {folder} | {other for other in reach[folder] if folder in reach.get(other, set())}
        if len(group) > 1 and group not in cycles:
            cycles.append(group)
    return cycles




def test_no_folder_imports_one_that_imports_it_back():
    imports = _folder_imports(ROOT)
    cycles = _folder_cycles(imports)
    where = [f"{a} -> {b}: {', '.join(lines[:3])}" for cycle in cycles for (a, b), lines in sorted(imports.items())
             if {a, b} <= cycle]
    assert cycles == [], "\n".join(where)


def test_the_folder_check_sees_an_import_inside_a_function(tmp_path):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    assert _folder_cycles(_folder_imports(tmp_path)) == []
    with open(tmp_path / "epochs" / "selectors.py", "a") as file:
        file.write("\n\ndef _later():\n    from ..lifecycle import overview\n")  # relative, inside a function
    with open(tmp_path / "octant" / "core" / "display.py", "a") as file:
        file.write("\n\ndef _later():\n    import octant.chain.backends\n")
    imports = _folder_imports(tmp_path)
    assert imports[("epochs", "lifecycle")] == ["epochs/selectors.py:" + str(len(
        (tmp_path / "epochs" / "selectors.py").read_text().splitlines()))]
    cycles = _folder_cycles(imports)
    assert {"octant/chain", "octant/core"} in cycles  # the core imports the chain, which imports the core
    assert any({"epochs", "lifecycle", "allocations"} <= cycle for cycle in cycles)  # lifecycle imports every app


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
    composition = {ROOT / "lifecycle" / f"{name}.py"
                   for layer in _layers(_contract("Inside lifecycle: interface over composition"))[2:] for name in layer}
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
