"""The deployment files (issue 25, item 2): secrets stay out of git and the image, docker-compose.yml requires
them and publishes only its reverse proxy, and the image installs the runtime requirements only, which hold
no test tool and everything the service imports."""
import ast
import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = {"SECRET_KEY", "ALLOWED_HOSTS", "DELEGATION_SALT", "DELEGATION_SALT_PRIMARY", "POSTGRES_PASSWORD"}
TEST_TOOLS = {"pytest", "pytest-django", "pytest-asyncio", "model-bakery", "python-socketio", "websocket-client",
              "selenium", "python-engineio", "eth-tester", "py-evm", "schemathesis", "import-linter", "hypothesis"}
NOT_RUNTIME = ("tests", "bench", ".venv", "var")  # the suite, the benchmarks (development tools)


def _name(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def test_env_is_kept_out_of_git_and_the_image():
    assert subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT).returncode == 0
    assert ".env" in (ROOT / ".dockerignore").read_text().split()


def _interpolate(text: str, environment: dict) -> tuple[str, set]:
    """docker compose's ${VAR}, ${VAR:-default} and ${VAR:?error}: the text and the required variables unset."""
    missing = set()

    def value(match):
        name, operator, argument = match.group(1), match.group(2) or "", match.group(3) or ""
        if environment.get(name):
            return environment[name]
        if operator == ":?":
            missing.add(name)
        return argument if operator == ":-" else ""
    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:[-?])([^}]*))?\}", value, text), missing


def _compose(environment: dict) -> dict:
    text, missing = _interpolate((ROOT / "docker-compose.yml").read_text(), environment)
    assert not missing, missing
    return yaml.safe_load(text)


def test_compose_requires_the_secrets_and_host_names():
    text = (ROOT / "docker-compose.yml").read_text()
    assert _interpolate(text, {})[1] == REQUIRED
    assert "change-me" not in text
    secrets = {name: f"{name.lower()}-value" for name in REQUIRED}
    services = _compose(secrets)["services"]
    for name in ("migrate", "web", "worker", "broadcaster", "beat"):
        app = services[name]["environment"]
        assert {key: app[key] for key in REQUIRED - {"POSTGRES_PASSWORD"}} == {
            key: secrets[key] for key in REQUIRED - {"POSTGRES_PASSWORD"}}
        assert app["DATABASE_URL"] == "postgres://postgres:postgres_password-value@db:5432/octant"
    assert services["db"]["environment"]["POSTGRES_PASSWORD"] == "postgres_password-value"


def test_compose_publishes_only_the_proxy_whose_address_the_app_trusts():
    import ipaddress

    compose = _compose({name: "x" for name in REQUIRED})
    services = compose["services"]
    assert [name for name, service in services.items() if service.get("ports")] == ["proxy"]
    proxy = services["proxy"]
    [mount] = proxy["volumes"]
    config = (ROOT / mount.split(":")[0]).read_text()
    assert "proxy_pass http://octant;" in config and re.search(r"upstream octant \{\s*server web:8000;", config)
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in config  # appends its peer
    address = proxy["networks"]["default"]["ipv4_address"]
    [subnet] = compose["networks"]["default"]["ipam"]["config"]
    assert ipaddress.ip_address(address) in ipaddress.ip_network(subnet["subnet"])
    web = services["web"]["environment"]
    assert web["NUM_PROXIES"] == 1 and web["TRUSTED_PROXIES"] == address


def test_the_image_installs_the_runtime_requirements_only():
    installs = re.findall(r"pip install[^\n]*", (ROOT / "Dockerfile").read_text())
    assert installs and all(re.findall(r"-r (\S+)", line) == ["requirements.txt"] for line in installs)
    assert "-r" not in (ROOT / "requirements.txt").read_text().split()
    dev = (ROOT / "requirements-dev.txt").read_text()
    assert "-r requirements.txt" in dev.splitlines()


@pytest.fixture(scope="module")
def runtime_set(tmp_path_factory) -> set[str]:
    """The distributions `pip install -r requirements.txt` puts in a fresh environment (resolved, not
    installed, from the configured index)."""
    report = tmp_path_factory.mktemp("pip") / "report.json"
    subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                    "--disable-pip-version-check", "--report", str(report), "-r", "requirements.txt"],
                   cwd=ROOT, check=True, capture_output=True, timeout=600)
    return {_name(item["metadata"]["name"]) for item in json.loads(report.read_text())["install"]}


def test_the_runtime_requirements_hold_no_test_tool(runtime_set):
    assert "django" in runtime_set and "uvicorn" in runtime_set
    assert not runtime_set & TEST_TOOLS


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_the_service_imports_only_runtime_requirements(runtime_set):
    providers = importlib.metadata.packages_distributions()
    missing = {}
    for path in ROOT.rglob("*.py"):
        if path.relative_to(ROOT).parts[0] in NOT_RUNTIME:
            continue
        for module in _imports(path):
            distributions = {_name(d) for d in providers.get(module, [])}
            if distributions and not distributions & runtime_set:
                missing.setdefault(module, []).append(str(path.relative_to(ROOT)))
    assert not missing, f"imported by the service but not in requirements.txt: {missing}"
