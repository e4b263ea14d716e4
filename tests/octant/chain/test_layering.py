"""The chain layer (octant/chain: its admin and the `chain` and `index` commands are lifecycle's) imports no
app, not even inside a function: the backends return events and rows, the apps' services store them."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
APPS = {"deposits", "projects", "epochs", "users", "allocations", "withdrawals", "antisybil", "multisig", "glm",
        "lifecycle"}


def chain_layer() -> list[Path]:
    base = ROOT / "octant" / "chain"
    return sorted(p for p in base.rglob("*.py") if "migrations" not in p.relative_to(base).parts)


def app_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [f"{path.name}:{node.lineno} {name}" for name in names if name.split(".")[0] in APPS]
    return found


def test_the_chain_layer_imports_no_app():
    modules = chain_layer()
    assert {"base.py", "local.py", "ethereum.py", "models.py", "wallet_commands.py"} <= {p.name for p in modules}
    assert [hit for path in modules for hit in app_imports(path)] == []


def test_the_check_sees_imports_inside_functions(tmp_path):
    path = tmp_path / "probe.py"
    path.write_text("def f():\n    from deposits.services import deposit_events_store\n    import projects.models\n")
    assert app_imports(path) == ["probe.py:2 deposits.services", "probe.py:3 projects.models"]
