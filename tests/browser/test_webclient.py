"""Octant's own web client, used as its users use it, against `bash scripts/run.sh` and nothing else.

In a fresh copy of the checkout (its own var/, so its own embedded PostgreSQL and demo chain; `../shared`
linked beside it as beside the checkout), the test starts the run command on a free port with DEBUG off and
CORS_ALLOWED_ORIGINS set to the client's origin, then `bash scripts/webclient.sh` (the client built from
../shared/octant-client with the service's settings, served on a port of its own). Headless Chromium reaches
no other host. A wallet with a test key (tests/browser/wallet.py) is injected into every page; the chain is
moved with `manage.py chain`, as a developer would. Steps: the home page; connect the wallet, accept the
terms; lock GLM (approve + lock); the next epoch opens the allocation window: the projects, a project's page;
allocate through the drawer; another user's allocation arrives live; the window closes: the metrics of the
finalized epoch; withdraw. Every request the page sends to the service or the client's server is recorded: any 5xx, any 4xx
not listed in EXPECTED, any request the page could not complete, any JSON-RPC or GraphQL error answer, any toast
the page shows (its "Sorry, something went wrong there" for a failed read) and any console error an answer of the
project caused fail the test, with the list. Each step leaves a screenshot under var/screenshots/webclient/ (and requests.json: every
request and console message). Skipped, saying why, only without the client's source or a browser."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from eth_account import Account
from selenium.webdriver.common.keys import Keys

from lifecycle.management.commands.seed_demo import DESCRIPTIONS, PROJECTS
from octant import embedded_db
from octant.core.signatures import allocation_typed_data

from tests.docs.test_shell_blocks import UNSET, _session_processes

from .conftest import _find
from .wallet import Signer, provider_script
from .webclient import Browser

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
SHOTS = ROOT / "var" / "screenshots" / "webclient"
GLM = ETH = 10**18
USER, OTHER = Account.from_key(b"\x24" * 32), Account.from_key(b"\x25" * 32)
APPROVE, LOCK, BATCH_WITHDRAW = "0x095ea7b3", "0xdd467064", "0xd3ed47de"  # GLM, Deposits, Vault selectors
# 4xx answers that are right, as "METHOD path status-or-failure": why each is expected
EXPECTED = {
    f"GET /api/v1/safes/{USER.address} 404": "the client asks its own origin (forwarded to the service's Safe "
                                             "Transaction Service) whether the wallet is a Safe: it is not",
    "GET /user/0x208de0d42a5f3f6e3bbd0e6121bd30a768824fc7/antisybil-status 404":
        "the client's onboarding hard-codes this address (ModalOnboarding.tsx); v2 answers 404 for an unknown user",
    "GET /ipfs/undefined net::ERR_BLOCKED_BY_ORB":
        "the client shows a donation's project image before the project's metadata has arrived "
        "(DonationsListItem.tsx: gateway + undefined); the service answers 404 (JSON), which Chrome blocks as an image",
}
# The page's queries that fail here, each for a reason outside the project, by their react-query key (a regular
# expression over its JSON). Every other failed query or mutation fails the test, and so does a toast that follows
# none of these.
FAILING_QUERIES = {
    r'\["vimeoVideos"\]': "the home page's videos are listed by api.vimeo.com, which the browser cannot reach here",
    r'\["ens(Name|Avatar)",\{.*"chainId":1[,}]': "RainbowKit looks up the wallet's ENS name on mainnet through Alchemy "
                                               "(VITE_ALCHEMY_ID), which the browser cannot reach here",
    r'\["antisybilStatus","0x208de0d42a5f3f6e3bbd0e6121bd30a768824fc7"\]': "the onboarding's hard-coded address "
                                                                           "(see EXPECTED): v2 answers 404",
    r'\["isGnosisSafeMultisig","0x[0-9a-fA-F]{40}"\]': "a plain wallet is not a Safe (see EXPECTED): the client asks, "
                                                     "expects the failure and shows no toast for it",
}
# net::ERR_ABORTED: the page cancelled the request itself (it navigated, or a newer query replaced it)
CANCELLED = "net::ERR_ABORTED"


def _free_port(start: int) -> int:
    """The first free port from `start` on: the same ports run after run, so the client's build (which holds
    both origins) is taken from the machine's cache."""
    for port in range(start, start + 200):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind (past a TIME_WAIT)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError(f"no free port from {start}")


def _copy_checkout(destination: Path) -> None:
    """The checkout's tracked and new files (mtimes kept)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if name != ".env" and source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    (destination / ".venv").symlink_to(ROOT / ".venv")


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).ok
    except requests.ConnectionError:
        return False


class Process:
    """A command in a session of its own, its output in a file; `stop` ends the session."""

    def __init__(self, command: list[str], *, cwd: Path, env: dict, log: Path):
        self.log = log
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert self.process.poll() is None, f"{self.process.args} exited early:\n{self.output()[-5000:]}"
            assert time.monotonic() < deadline, f"no {text!r} within {timeout} s:\n{self.output()[-5000:]}"
            time.sleep(0.5)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pass
        if _session_processes(self.process.pid):
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


class Stack:
    """The run command and the web client's server, in a copy of the checkout."""

    def __init__(self, base: Path):
        self.base, self.checkout = base, base / "octant"
        client_port = _free_port(18400)
        backend_port = _free_port(18300)
        self.backend, self.client = f"http://127.0.0.1:{backend_port}", f"http://127.0.0.1:{client_port}"
        self.env = {k: v for k, v in os.environ.items() if k not in UNSET} | {
            "PORT": str(backend_port), "WEBCLIENT_PORT": str(client_port), "DEBUG": "0",
            "SECRET_KEY": "webclient-test-" + "k" * 40, "SECURE_SSL_REDIRECT": "0",
            "CORS_ALLOWED_ORIGINS": self.client}
        self.service = self.webclient = None

    def start(self) -> None:
        self.checkout.mkdir()
        _copy_checkout(self.checkout)
        (self.base / "shared").symlink_to(SHARED)  # ../shared as the checkout sees it
        self.service = Process(["bash", "scripts/run.sh"], cwd=self.checkout, env=self.env,
                               log=self.checkout / "run.out")
        self.service.wait_for("Serving on", 240)
        self.until(lambda: _answers(self.backend + "/info/chain-info"), "the service answering", 120)
        started = time.monotonic()
        self.webclient = Process(["bash", "scripts/webclient.sh"], cwd=self.checkout, env=self.env,
                                 log=self.checkout / "webclient.out")
        self.webclient.wait_for("Octant's web client on", 1200)
        self.build_seconds = time.monotonic() - started

    def manage(self, *args: str) -> str:
        """`manage.py ARGS` in the copy (on its embedded database); its stdout."""
        result = subprocess.run([".venv/bin/python", "manage.py", *args], cwd=self.checkout, env=self.env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def status(self) -> dict:
        return json.loads(self.manage("chain", "status").strip().splitlines()[-1])

    def next_epoch(self) -> dict:
        """Moves the chain's clock to one second into the next epoch; the new status."""
        status = self.status()
        self.manage("chain", "time", "--advance", str(status["epochEnd"] - status["now"] + 1))
        return self.status()

    def get(self, path: str):
        return requests.get(self.backend + path, timeout=30)

    def until(self, read, what: str, timeout: float = 90):
        """`read()`'s first truthy value (the beat tick runs every 5 s)."""
        deadline = time.monotonic() + timeout
        while not (value := read()):
            assert time.monotonic() < deadline, f"{what} within {timeout} s:\n{self.service.output()[-3000:]}"
            time.sleep(1)
        return value

    def stop(self) -> None:
        for process in (self.webclient, self.service):
            if process:
                process.stop()
        # what the commands said, beside the screenshots
        for log in (self.checkout / "run.out", self.checkout / "webclient.out",
                    *self.checkout.glob("var/log/worker-*.log")):
            if log.exists():
                shutil.copy(log, SHOTS / log.name)
        embedded_db.stop(self.checkout / "var" / "postgres")


def _chromium() -> tuple[str, str]:
    """Chromium and its driver, else the test skips."""
    binary = _find("CHROMIUM", "chromium", "chromium-browser", "google-chrome")
    driver = _find("CHROMEDRIVER", "chromedriver")
    if not binary or not driver:
        pytest.skip("No browser: the web client's test needs Debian's chromium and chromium-driver "
                    "(bash scripts/test.sh installs them when run as root; or set CHROMIUM and CHROMEDRIVER).")
    return binary, driver


@pytest.fixture(scope="module")
def stack():
    _chromium()
    if not (SHARED / "octant-client" / "client" / "package.json").is_file():
        pytest.skip(f"No web client source: Octant's client is expected at {SHARED / 'octant-client'} "
                    "(a checkout of golemfoundation/octant; see scripts/webclient.sh)")
    if not (ROOT / ".venv" / ".installed").exists():
        pytest.skip("needs the checkout's .venv as the scripts make it (bash scripts/test.sh)")
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    base = Path(tempfile.mkdtemp(prefix="octant-webclient-"))
    stack = Stack(base)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(stack):
    binary, driver = _chromium()
    signer = Signer(USER.key)
    chain_id = stack.get("/info/chain-info").json()["chainId"]
    browser = Browser(binary=binary, driver=driver, shots=SHOTS, wallet_script=provider_script(
        rpc=f"{stack.backend}/rpc", signer=signer.url, address=USER.address, chain_id=chain_id))
    browser.signer = signer
    # the user has switched the quick tour off (Settings): its tooltips (react-joyride's popper.js) throw
    # "Cannot read properties of null (reading 'nodeName')" and blank the page when the page changes under them
    browser.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {
        "source": "localStorage.getItem('settings_isQuickTourAlwaysVisible') || "
                  "localStorage.setItem('settings_isQuickTourAlwaysVisible', 'false')"})
    try:
        yield browser
    finally:
        browser.shot("last")  # the page as the test left it (where it stopped, if it failed)
        browser.record(SHOTS / "requests.json")
        browser.quit()
        signer.close()


def _problems(browser, stack) -> list[str]:
    """What the page got wrong from the project: every 5xx, every 4xx not in EXPECTED and every request to it
    the page did not complete (a refusal by CORS included), then every console error but those no answer of
    the project caused (a request to another host, which nothing answers here; a fetch that got no answer)
    and the lines Chrome logs for the expected 4xx."""
    problems = []
    for exchange in browser.to(stack.backend) + browser.to(stack.client):
        path = "/" + exchange.url.split("/", 3)[3].split("?")[0]
        if f"{exchange.method} {path} {exchange.status or exchange.failure}" in EXPECTED:
            continue
        if exchange.status and exchange.status >= 400 or exchange.failure and exchange.failure != CANCELLED:
            problems.append(str(exchange))
    ours = (stack.backend, stack.client)
    explained = []  # when a query of FAILING_QUERIES failed
    for message in browser.console:
        text = message["message"]
        if message["level"] != "SEVERE" or "net::ERR_NAME_NOT_RESOLVED" in text and not text.startswith(ours) \
                or "TypeError: Failed to fetch" in text:  # no answer at all (ours are checked above)
            continue
        said = text.split(' "', 1)[-1].removesuffix('"').encode().decode("unicode_escape")
        if said.startswith("Query failed: ") and any(re.match(key, said.removeprefix("Query failed: "))
                                                     for key in FAILING_QUERIES):
            explained.append(message["timestamp"])
            continue
        if said.startswith("Toast shown: ") and any(0 <= message["timestamp"] - at < 3000 for at in explained):
            continue  # the client's toast for a failed query (api/errorMessages), that query being one of those
        if any(text.startswith(f"{origin}{path} ") and f"status of {status} " in text
               for origin in ours for _, path, status in map(str.split, EXPECTED)):
            continue
        problems.append(f"console: {text}")
    return [f"{problem} (x{count})" if count > 1 else problem for problem, count in Counter(problems).items()]


def _walk_through_an_epoch(stack, browser) -> None:
    """The steps of the module's docstring; an assertion fails where the page or the service goes wrong."""

    def home():
        browser.get(stack.client + "/")
        browser.test_id("HomeGridCurrentGlmLock__Button")

    def fill(name: str, text: str) -> None:
        """Types `text` into the input until it keeps it for a second (the form may still be loading)."""
        def kept():
            element = browser.test_id(name)
            element.send_keys(Keys.CONTROL, "a")
            element.send_keys(Keys.DELETE)
            element.send_keys(text)
            time.sleep(1)
            return browser.test_id(name).get_attribute("value") == text
        browser.wait(kept, 30, f"{name} keeping {text!r}")

    def close_if_shown(name: str) -> None:
        if browser.driver.find_elements("css selector", f"[data-test={name}]"):
            browser.click(f"[data-test={name}]")

    # CORS with DEBUG off: the client's origin and no other
    for path in ("/rpc", "/subgraphs/name/octant", "/epochs/current"):
        for origin, allowed in ((stack.client, True), ("http://elsewhere.example", False)):
            answer = requests.options(stack.backend + path, timeout=10, headers={
                "Origin": origin, "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type"})
            assert (answer.headers.get("Access-Control-Allow-Origin") == origin) is allowed, (path, origin)

    # --- the home page of a fresh stack; then a new user, with GLM and ETH from the faucet, connects
    if stack.status()["epochEnd"] - stack.status()["now"] < 300:  # (a slow build used up the first epoch)
        stack.next_epoch()
    epoch = stack.status()["currentEpoch"]
    home()
    browser.wait_text(f"Welcome to Epoch {epoch}")
    browser.shot("01-home")
    stack.manage("chain", "mint", USER.address, "--glm", str(10_000 * GLM), "--eth", str(ETH))
    stack.manage("chain", "passport", USER.address, "20")
    browser.click("[data-test=LayoutTopBar__Button]")
    browser.click("[data-test=ConnectWallet__BoxRounded--browserWallet]")
    browser.test_id("ModalOnboarding")
    browser.shot("02-connected-terms")
    browser.script("arguments[0].click()", browser.test_id("TOS_InputCheckbox", visible=False))
    stack.until(lambda: stack.get(f"/user/{USER.address}/tos").json().get("accepted"), "the terms accepted")
    assert browser.signer.signed == ["message"]
    browser.shot("03-terms-accepted")
    browser.click("[data-test=ModalOnboarding__Button]")

    # --- lock 1000 GLM through the UI: approve, then lock
    browser.click("[data-test=HomeGridCurrentGlmLock__Button]")
    fill("InputsCryptoFiat__InputText--crypto", "1000")
    browser.wait(lambda: browser.text("[data-test=LockGlmTabs__Button]") == "Lock", 30, "the Lock button")
    browser.shot("04-lock-form")
    browser.click("[data-test=LockGlmTabs__Button]")
    browser.wait(lambda: browser.text("[data-test=LockGlmTabs__Button]") == "Close", 120, "the lock confirmed")
    browser.test_id("LockGlmNotification--success")
    assert [s.split()[-1] for s in browser.signer.signed[1:]] == [APPROVE, LOCK], browser.signer.signed
    browser.shot("05-locked")
    browser.click("[data-test=LockGlmTabs__Button]")
    browser.wait_text("1000 GLM", "[data-test=HomeGridCurrentGlmLock]", 60)
    lock = stack.until(lambda: next((e for e in stack.get(f"/history/{USER.address}").json()["history"]
                                     if e["type"] == "lock"), None), "the lock in the history")
    assert lock["eventData"]["amount"] == str(1000 * GLM)
    assert lock["eventData"]["transactionHash"] == browser.script("return window.testWallet.transactions")[-1]
    # another user locks too (from the command line)
    stack.manage("chain", "lock", OTHER.address, str(5_000 * GLM))
    stack.manage("chain", "passport", OTHER.address, "20")

    # --- the next epoch: the allocation window of this one opens; the projects, a project
    assert stack.next_epoch()["decisionWindowOpen"]
    budget = int(stack.until(lambda: (r := stack.get(f"/rewards/budget/{USER.address}/epoch/{epoch}"))
                             .status_code == 200 and r.json()["budget"], "the pending snapshot"))  # 204 before
    home()
    browser.click("[data-test=LayoutTopBar__link--projects]")
    for _, name in PROJECTS:
        browser.wait_text(name, "[data-test=ProjectsView__ProjectsList]")
    browser.shot("06-projects")
    address, name = PROJECTS[0]
    browser.click(f'[data-test=ProjectsView__ProjectsList] [data-address="{address}"]')
    browser.wait_text(DESCRIPTIONS[name])
    assert browser.driver.current_url.endswith(address) and name in browser.text()
    browser.shot("07-project")

    # --- allocate half the budget to one project through the drawer (signed, sent over the websocket)
    browser.click("[data-test=LayoutTopBar__link--projects]")
    mine, theirs = PROJECTS[2][0], PROJECTS[1][0]
    browser.click(f'[data-address="{mine}"] [data-test=ProjectsListItem__ButtonAddToAllocate]')
    browser.click("[data-test=LayoutTopBar__allocationButton]")
    amount = f"{budget // 2 / ETH:.6f}"
    fill("AllocationItem__InputText", amount)
    browser.shot("08-allocation-drawer")
    browser.click("[data-test=AllocationNavigation__Button--cta]")
    allocated = stack.until(lambda: stack.get(f"/allocations/user/{USER.address}/epoch/{epoch}").json()
                            .get("allocations"), "the allocation stored", 60)
    assert allocated == [{"address": mine, "amount": str(int(float(amount) * 10**6) * 10**12)}], (budget, allocated)
    assert browser.signer.signed[-1] == "typed-data"
    time.sleep(2)
    browser.shot("09-allocated")
    close_if_shown("ModalMigration__Button")  # the v1 client's "Octant is evolving" notice after allocating
    close_if_shown("AllocationDrawer__closeButton")

    # --- another user's allocation arrives live: the project's card changes without a reload
    donors = f'[data-address="{theirs}"] [data-test=ProjectRewards__donors]'
    before = browser.text(donors)
    frames = len(browser.frames(stack.backend))
    nonce = stack.get(f"/allocations/users/{OTHER.address}/allocation_nonce").json()["allocationNonce"]
    payload = {"allocations": [{"proposalAddress": theirs, "amount": str(10**15)}], "nonce": nonce}
    signature = Account.sign_typed_data(OTHER.key, full_message=allocation_typed_data(
        payload, chain_id=stack.get("/info/chain-info").json()["chainId"])).signature.hex()
    answer = requests.post(f"{stack.backend}/allocations/allocate", timeout=30, json={
        "userAddress": OTHER.address, "payload": payload, "signature": "0x" + signature, "isManuallyEdited": False})
    assert answer.status_code == 201, answer.text
    browser.wait(lambda: browser.text(donors) != before, 30, f"{theirs}'s donors to change live")
    assert browser.text(donors).split()[-1] == str(int(before.split()[-1]) + 1)
    assert any(theirs.lower() in frame.lower() for frame in browser.frames(stack.backend)[frames:])
    browser.shot("10-live-allocation")

    # --- the window closes: the epoch is finalized (metrics), the user withdraws through the UI
    while stack.status()["decisionWindowOpen"]:
        stack.manage("chain", "time", "--advance", "60")
    stack.until(lambda: any(w["epoch"] == epoch and w["status"] == "available"
                            for w in stack.get(f"/withdrawals/{USER.address}").json()), "the finalized epoch")
    home()
    browser.click("[data-test=LayoutTopBar__link--metrics]")
    browser.wait_text("Funding leaderboard")
    browser.wait_text(PROJECTS[2][1], timeout=10)
    browser.shot("11-metrics")
    home()
    browser.wait(lambda: browser.find("[data-test=HomeGridPersonalAllocation__Button]")
                 .get_attribute("disabled") is None, 60, "Withdraw rewards enabled")
    browser.shot("12-finalized")
    browser.click("[data-test=HomeGridPersonalAllocation__Button]")
    browser.test_id("ModalWithdrawEth")
    browser.shot("13-withdraw")
    browser.click("[data-test=WithdrawEth__Button]")
    withdrawal = stack.until(lambda: next((e for e in stack.get(f"/history/{USER.address}").json()["history"]
                                           if e["type"] == "withdrawal"), None), "the withdrawal", 60)
    assert browser.signer.signed[-1].endswith(BATCH_WITHDRAW)
    assert withdrawal["eventData"]["epoch"] == epoch
    assert withdrawal["eventData"]["transactionHash"] == browser.script("return window.testWallet.transactions")[-1]
    home()
    browser.wait_text("Withdrawn funds", timeout=60)
    browser.shot("14-withdrawn")



def test_a_new_user_through_an_epoch_in_the_web_client(stack, browser):
    print(f"{stack.webclient.output()}(served {stack.build_seconds:.0f} s after the command started)")
    try:
        _walk_through_an_epoch(stack, browser)
    except Exception as error:
        problems = _problems(browser, stack)
        raise AssertionError(f"{error}\n\nThe page got these from the project so far:\n" + "\n".join(problems)) \
            from error
    problems = _problems(browser, stack)
    assert not problems, "The page got these from the project:\n" + "\n".join(problems)
