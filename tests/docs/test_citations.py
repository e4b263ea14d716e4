"""Citations of the docs hold: every `docs/<file>.md §N` in the code (and `<file>.md §N` between the docs)
names a file of the repository and a section it has, every `docs/<file>.md` exists, a bare `§N` names a section of a file the same module
(or document) cites, and nothing cites the specification files kept outside the repository.

Sections are the numbered headings of a markdown file (`## 3. ...`, `### 3.10 ...`, `#### 9.2.5 ...`). A
range `§4.3-4.6` needs both ends. `§N` right after `issue <number>` refers to an issue, not to a file."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {"var", "staticfiles", "node_modules", "__pycache__"}
SPEC_FILES = ("math.md", "lifecycle.md", "api.md", "django.md")  # the specification's, outside the repository

HEADING = re.compile(r"^#{1,6}\s+(\d+(?:\.\d+)*)\.?\s", re.MULTILINE)
MARKDOWN = re.compile(r"(?<![\w./-])((?:\.\.?/)*(?:[\w-]+/)*[\w-]+\.md)\b")
SECTION = re.compile(r"§\s?(\d+(?:\.\d+)*)(?:[-–](\d+(?:\.\d+)*))?")
# a markdown file followed by its sections: "docs/rewards.md §4.5, §4.6", "lifecycle.md §1.5: ..."
CITATION = re.compile(MARKDOWN.pattern + r"((?:(?:,\s*|\s+and\s+|\s+)" + SECTION.pattern + r")+)")
ISSUE = re.compile(r"issue \d+\s*$")


def _files() -> list[Path]:
    """The repository's Python modules, its documents (the top-level and docs/ markdown files) and
    .env.example, this module aside (its examples break the rules on purpose)."""
    found = []
    for path in ROOT.rglob("*"):
        if path == Path(__file__).resolve():
            continue
        parts = path.relative_to(ROOT).parts
        if any(part.startswith(".") or part in SKIPPED_DIRS for part in parts[:-1]):
            continue
        if (path.suffix == ".py" or (path.suffix == ".md" and (len(parts) == 1 or parts[0] == "docs"))
                or parts == (".env.example",)):
            found.append(path)
    return found


def _resolve(name: str, citing: Path) -> Path | None:
    """The repository file `name` refers to: relative to the citing file, else to the repository's root."""
    for base in (citing.parent, ROOT):
        path = (base / name).resolve()
        if path.is_file() and ROOT in path.parents:
            return path
    return None


_SECTIONS: dict[Path, set[str]] = {}


def _sections(path: Path) -> set[str]:
    if path not in _SECTIONS:
        _SECTIONS[path] = set(HEADING.findall(path.read_text()))
    return _SECTIONS[path]


def _numbers(text: str) -> list[str]:
    return [number for first, last in SECTION.findall(text) for number in (first, last) if number]


def _problems(path: Path, text: str | None = None) -> list[str]:
    text = path.read_text() if text is None else text
    where = path.relative_to(ROOT)
    problems = []
    for spec in SPEC_FILES:
        for match in re.finditer(rf"(?<![\w/-]){re.escape(spec)}", text):
            if _resolve(spec, path) is None:
                problems.append(f"{where}: cites {spec} of the specification, which is not in the repository")
    if re.search(r"spec(ification)? README", text):
        problems.append(f"{where}: cites the specification's README, which is not in the repository")
    cited = set()
    # in a module, a markdown path (docs/x.md) or a file with sections; in a document, every markdown name
    names = [m.group(1) for m in CITATION.finditer(text)] + [
        name for name in MARKDOWN.findall(text) if path.suffix == ".md" or "/" in name]
    for name in dict.fromkeys(names):
        target = _resolve(name, path)
        if target is None:
            if name not in SPEC_FILES:
                problems.append(f"{where}: {name} does not exist")
        elif target.suffix == ".md":
            cited.add(target)
    explicit = set()
    for match in CITATION.finditer(text):
        explicit.update(range(match.start(2), match.end(2)))
        target = _resolve(match.group(1), path)
        if target is None:
            continue  # reported above
        for number in _numbers(match.group(2)):
            if number not in _sections(target):
                problems.append(f"{where}: {match.group(1)} has no section {number}")
    if path.suffix == ".md":
        cited.add(path.resolve())  # a bare § of a document names its own sections
    for match in SECTION.finditer(text):
        if match.start() in explicit or ISSUE.search(text[max(0, match.start() - 20):match.start()]):
            continue
        for number in filter(None, match.groups()):
            if not any(number in _sections(doc) for doc in cited):
                names = ", ".join(sorted(str(doc.relative_to(ROOT)) for doc in cited)) or "no document"
                problems.append(f"{where}: §{number} is not a section of what it cites ({names})")
    return problems


def test_every_citation_names_an_existing_file_and_section():
    problems = [problem for path in _files() for problem in _problems(path)]
    assert not problems, "\n".join(problems)


def test_the_docs_number_their_sections_once_each_below_an_existing_parent():
    for name in ("docs/rewards.md", "docs/lifecycle.md"):
        numbers = HEADING.findall((ROOT / name).read_text())
        assert numbers, name
        assert len(numbers) == len(set(numbers)), f"{name}: a section number is used twice"
        orphans = [n for n in numbers if "." in n and n.rsplit(".", 1)[0] not in numbers]
        assert not orphans, f"{name}: sections without their parent: {orphans}"


def test_the_files_the_docs_name_exist():
    """A module moved or renamed leaves no stale path in the docs (`epochs/engine.py`, in backticks)."""
    for name in ("docs/rewards.md", "docs/lifecycle.md"):
        paths = re.findall(r"`([\w./-]+\.(?:py|sh|sol|yaml|json))`", (ROOT / name).read_text())
        assert paths, name
        missing = sorted({path for path in paths if not (ROOT / path).is_file()})
        assert not missing, f"{name} names files that do not exist: {missing}"


def test_the_checker_catches_what_it_should():
    """The rules above, on the text of a scratch module: a wrong section, a wrong end of a range, a spec
    citation, a bare § of nothing cited or of a file not cited, a missing file."""
    module = ROOT / "tests" / "docs" / "scratch.py"
    cases = {
        '"""See docs/rewards.md §3.10 and §5.4, docs/lifecycle.md §1.5-1.6."""': [],
        '"""See docs/rewards.md §3.99."""': ["docs/rewards.md has no section 3.99"],
        '"""See docs/rewards.md §4.3-4.99."""': ["docs/rewards.md has no section 4.99"],
        '"""See math.md §3."""': ["cites math.md"],
        '"""See the spec README decision 8."""': ["specification's README"],
        '"""Bare §5.4 without a cited file."""': ["§5.4 is not a section"],
        '"""docs/lifecycle.md §1.5; the bare §5.8 is a rewards section."""': ["§5.8 is not a section"],
        '"""Done in issue 12 §5."""': [],
        '"""See docs/nothing.md."""': ["docs/nothing.md does not exist"],
    }
    for source, expected in cases.items():
        found = _problems(module, source)
        assert len(found) == len(expected), (source, found)
        for problem, wanted in zip(found, expected):
            assert wanted in problem, (source, found)
