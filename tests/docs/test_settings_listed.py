"""Every environment variable the code reads is listed once in `.env.example`, the one home of the settings
(README, "Settings"), under a one-line comment; and `.env.example` lists nothing the code does not read.

What counts as a read: in the Python modules outside tests/ (octant/, the apps, scripts/, bench/,
manage.py), django-environ's `env(NAME)` and `env.<reader>(NAME)`, `os.environ[NAME]`, `os.environ.get(NAME)`
and `os.getenv(NAME)`; in scripts/*.sh and docker-compose.yml, `${NAME:-...}` and `${NAME-...}`, and in docker-compose.yml
`${NAME:?...}` (required). A name that is
not a string literal (or a conditional between literals) fails the test, since it cannot be checked.
`os.environ.setdefault` sets a default (DJANGO_SETTINGS_MODULE) and is not a read. Exceptions: the
benchmarks' own knobs (`BENCH_*`) are described in the docstrings of bench/ instead, so each must be named in
the docstring of a module there; the system's TMPDIR is not ours to list. The tests' own knobs
(SCHEMATHESIS_MAX_EXAMPLES, CHROMIUM, CHROMEDRIVER) are described with the tests in the README."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = ROOT / ".env.example"
READERS = {"bool", "bytes", "cache", "cache_url", "channels", "channels_url", "db", "db_url", "dict", "email",
           "email_url", "float", "get_value", "int", "json", "list", "path", "search_url", "str", "tuple", "url"}
SYSTEM = {"TMPDIR"}
SHELL_READ = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?-")
COMPOSE_READ = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?[-?]")  # in a script, ${NAME:?} guards a variable of its own
LISTED = re.compile(r"^#?([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def _names(node) -> list[str | None]:
    """The variable names an argument can be: a literal, or either side of a conditional (None: computed)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _names(node.body) + _names(node.orelse)
    return [None]


def _is_os_environ(node) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ" and isinstance(node.value, ast.Name)
            and node.value.id == "os")


def python_reads(source: str) -> list[str | None]:
    """Every environment variable `source` reads (None for a name computed at run time)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            if (isinstance(func, ast.Name) and func.id == "env") or (
                    isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "env"
                    and func.attr in READERS):
                found += _names(node.args[0])
            elif isinstance(func, ast.Attribute) and func.attr == "get" and _is_os_environ(func.value):
                found += _names(node.args[0])
            elif (isinstance(func, ast.Attribute) and func.attr == "getenv" and isinstance(func.value, ast.Name)
                  and func.value.id == "os"):
                found += _names(node.args[0])
        elif isinstance(node, ast.Subscript) and _is_os_environ(node.value) and isinstance(node.ctx, ast.Load):
            found += _names(node.slice)
    return found


def _code_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in ("tests", "var", "staticfiles", "docs") or any(p.startswith(".") for p in parts):
            continue
        files.append(path)
    return files


def _reads() -> dict[str, set[str]]:
    """{variable: files reading it}, computed names reported as "<computed>"."""
    reads: dict[str, set[str]] = {}
    for path in _code_files():
        for name in python_reads(path.read_text()):
            reads.setdefault(name or "<computed>", set()).add(str(path.relative_to(ROOT)))
    for path in [*ROOT.joinpath("scripts").glob("*.sh"), ROOT / "docker-compose.yml"]:
        for name in (COMPOSE_READ if path.suffix == ".yml" else SHELL_READ).findall(path.read_text()):
            reads.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return reads


def _listed() -> list[str]:
    return LISTED.findall(ENV_EXAMPLE.read_text())


def _bench_docstrings() -> str:
    return "\n".join(ast.get_docstring(ast.parse(path.read_text())) or ""
                     for path in ROOT.joinpath("bench").glob("*.py"))


def test_every_variable_read_is_listed():
    reads = _reads()
    assert "<computed>" not in reads, f"a variable name computed at run time: {reads.get('<computed>')}"
    listed = set(_listed())
    missing = {name: sorted(files) for name, files in reads.items()
               if name not in listed and name not in SYSTEM and not name.startswith("BENCH_")}
    assert not missing, f"read but not listed in .env.example: {missing}"


def test_the_benchmarks_knobs_are_described_in_their_docstrings():
    described = set(re.findall(r"BENCH_[A-Z0-9_]+", _bench_docstrings()))
    undescribed = sorted(name for name in _reads() if name.startswith("BENCH_") and name not in described)
    assert not undescribed, f"named in no docstring of bench/: {undescribed}"


def test_each_listed_variable_is_read_listed_once_and_commented():
    listed = _listed()
    assert len(listed) == len(set(listed)), sorted({n for n in listed if listed.count(n) > 1})
    stale = sorted(set(listed) - set(_reads()))
    assert not stale, f"listed in .env.example but read nowhere: {stale}"
    lines = ENV_EXAMPLE.read_text().splitlines()
    for index, line in enumerate(lines):
        if LISTED.match(line):
            comment = lines[index - 1] if index else ""
            assert comment.startswith("# ") and not LISTED.match(comment), f"no comment above {line!r}"


def test_the_scanner_finds_every_form_of_read():
    source = '''
import os
a = env("A")
b = env.bool("B", default=False)
c = env.str("C", default=env.str("C1" if x else "C2", default=""))
d = os.environ["D"]
e = os.environ.get("E", "1")
f = os.getenv("F")
g = f"{os.environ['G']}"
os.environ.setdefault("NOT_A_READ", "x")
env.update(NOT_A_READ_EITHER=1)
h = os.environ.get(name)
'''
    assert sorted(python_reads(source), key=str) == ["A", "B", "C", "C1", "C2", "D", "E", "F", "G", None]
    assert SHELL_READ.findall('HOST="${HOST:-127.0.0.1}" ${PORT-80} ${NOT_A_DEFAULT} $ALSO_NOT') == ["HOST", "PORT"]
    assert COMPOSE_READ.findall('${HOST:-127.0.0.1} ${KEY:?set KEY} ${NOT_A_DEFAULT}') == ["HOST", "KEY"]
