"""Headless Chromium for the web client's test: a wallet injected into every page (tests/browser/wallet.py), no
host but 127.0.0.1 reachable, every request, response and console message recorded from Chrome's logs, and
every JSON-RPC or GraphQL error answer, every toast and every failed query or mutation of the page logged as a
console error."""
import json
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


# JSON-RPC and GraphQL answer their errors with 200: the page logs each such answer as a console error
ANSWERED_ERRORS = r"""(() => {
  const fetch = window.fetch;
  window.fetch = async (...args) => {
    const response = await fetch(...args);
    response.clone().text().then(text => {
      if (/^[\[{]/.test(text) && /"errors?": ?[\[{]/.test(text)) {
        const request = args[1] && typeof args[1].body === 'string' ? args[1].body.slice(0, 300) : '';
        console.error(`Error answer from ${response.url} to ${request}: ${text.slice(0, 500)}`);
      }
    }, () => {});
    return response;
  };
})();"""

# every toast the page shows is logged as a console error with its text ("Sorry, something went wrong there" is
# the client's toast for any failed query: a read of the chain, the subgraph or the API), so none goes unseen
TOASTS = r"""(() => {
  const seen = new WeakSet();
  new MutationObserver(() => {
    for (const toast of document.querySelectorAll('.Toastify__toast')) {
      if (seen.has(toast)) continue;
      seen.add(toast);
      setTimeout(() => console.error(`Toast shown: ${toast.innerText.replace(/\s+/g, ' ').trim()}`), 50);
    }
  }).observe(document, {childList: true, subtree: true});
})();"""
# every query and mutation of the page's react-query client (the app's, which wagmi and RainbowKit share) that
# fails for good is logged as a console error with its key: a toast above says that something failed, this says what
FAILURES = r"""(() => {
  const text = value => {
    try { return JSON.stringify(value, (_, v) => typeof v === 'bigint' ? v.toString() : v); } catch (e) { return String(value); }
  };
  const client = () => {  // the QueryClientProvider's client, found in React's fibers from the root element
    const root = document.getElementById('root');
    const container = root && Object.keys(root).find(k => k.startsWith('__reactContainer$'));
    const fibers = container ? [root[container]] : [];
    for (let n = 0; fibers.length && n < 10000; n++) {
      const fiber = fibers.pop();
      const found = fiber.memoizedProps && fiber.memoizedProps.client;
      if (found && typeof found.getQueryCache === 'function') return found;
      if (fiber.sibling) fibers.push(fiber.sibling);
      if (fiber.child) fibers.push(fiber.child);
    }
  };
  const reason = error => (error && (error.shortMessage || error.message || error.reason) || text(error)).slice(0, 300);
  // react-query's CancelledError (a query the page cancelled, or replaced by a newer fetch): no failure, no toast
  const cancelled = error => error && typeof error === 'object' && 'revert' in error && 'silent' in error;
  const watch = setInterval(() => {
    const found = client();
    if (!found) return;
    clearInterval(watch);
    found.getQueryCache().subscribe(event => {
      if (event.type === 'updated' && event.action.type === 'error' && !cancelled(event.action.error))
        console.error(`Query failed: ${text(event.query.queryKey)}: ${reason(event.action.error)}`);
    });
    found.getMutationCache().subscribe(event => {
      if (event.type === 'updated' && event.action.type === 'error')
        console.error(`Mutation failed: ${text(event.mutation.options.mutationKey)}: ${reason(event.action.error)}`);
    });
  }, 100);
})();"""

@dataclass
class Exchange:
    """One request the page sent and what came of it."""
    method: str
    url: str
    status: int | None = None  # None: no answer (see `failure`)
    failure: str = ""
    websocket: bool = False
    frames: list[str] = field(default_factory=list)  # websocket messages received

    def __str__(self):
        return f"{self.method} {self.url} -> {self.status or self.failure or 'pending'}"


class Browser:
    def __init__(self, *, binary: str, driver: str, wallet_script: str, shots: Path):
        self.profile = tempfile.mkdtemp(prefix="octant-webclient-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = binary
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1440,900", "--lang=en-US",
                     # nothing leaves the machine: no stand-in answers for anything of Octant's stack
                     "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                     f"--user-data-dir={self.profile}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        options.add_experimental_option("perfLoggingPrefs", {"enableNetwork": True, "enablePage": False})
        self.driver = webdriver.Chrome(service=Service(executable_path=driver), options=options)
        self.driver.set_page_load_timeout(60)
        for script in (ANSWERED_ERRORS, TOASTS, FAILURES, wallet_script):
            self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": script})
        self.shots = shots
        self.exchanges: dict[str, Exchange] = {}
        self.console: list[dict] = []

    # --- what the page did
    def collect(self) -> None:
        """Moves Chrome's new log entries into `exchanges` and `console`."""
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            method, params = message["method"], message.get("params", {})
            request_id = params.get("requestId")
            if method == "Network.requestWillBeSent":
                request = params["request"]
                if not request["url"].startswith(("data:", "blob:")):
                    key = request_id if request_id not in self.exchanges or "redirectResponse" not in params \
                        else f"{request_id}:{len(self.exchanges)}"
                    self.exchanges[key] = Exchange(request["method"], request["url"])
            elif method == "Network.responseReceived" and request_id in self.exchanges:
                self.exchanges[request_id].status = params["response"]["status"]
            elif method == "Network.loadingFailed" and request_id in self.exchanges:
                exchange = self.exchanges[request_id]
                exchange.failure = params.get("blockedReason") or params.get("corsErrorStatus", {}).get(
                    "corsError") or params.get("errorText", "failed")
            elif method == "Network.webSocketCreated":
                self.exchanges[request_id] = Exchange("WS", params["url"], websocket=True)
            elif method == "Network.webSocketHandshakeResponseReceived" and request_id in self.exchanges:
                self.exchanges[request_id].status = params["response"]["status"]
            elif method == "Network.webSocketFrameReceived" and request_id in self.exchanges:
                self.exchanges[request_id].frames.append(params["response"]["payloadData"])
        self.console += self.driver.get_log("browser")

    def to(self, origin: str) -> list[Exchange]:
        """Every exchange with `origin` so far."""
        self.collect()
        return [e for e in self.exchanges.values() if _origin(e.url) == origin]

    def frames(self, origin: str) -> list[str]:
        return [frame for e in self.to(origin) if e.websocket for frame in e.frames]

    def record(self, path: Path) -> None:
        """Every exchange and console message, as JSON."""
        self.collect()
        path.write_text(json.dumps({"requests": [str(e) for e in self.exchanges.values()],
                                    "console": self.console}, indent=1))

    # --- driving it
    def get(self, url: str) -> None:
        self.driver.get(url)

    def script(self, source: str, *args):
        return self.driver.execute_script(source, *args)

    def find(self, selector: str, timeout: float = 30, visible: bool = True):
        """The first element `selector` (CSS) matches, once there (and shown)."""
        return self.wait(lambda: next((e for e in self.driver.find_elements(By.CSS_SELECTOR, selector)
                                       if not visible or e.is_displayed()), None), timeout, f"no {selector}")

    def test_id(self, name: str, **options):
        return self.find(f"[data-test={name}]", **options)

    def click(self, selector: str, timeout: float = 30) -> None:
        """Clicks `selector` once it is shown and enabled (with JavaScript: nothing may cover it)."""
        def clicked():
            element = self.find(selector, timeout)
            if element.get_attribute("disabled") is not None:
                return None
            self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click()",
                                       element)
            return True
        self.wait(clicked, timeout, f"{selector} stays disabled")

    def text(self, selector: str = "body", timeout: float = 30) -> str:
        return self.find(selector, timeout).text

    def wait(self, condition, timeout: float = 30, what: str = "the condition"):
        """`condition()`'s first truthy value within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = condition()
            except (StaleElementReferenceException, WebDriverException) as error:
                if "no such window" in str(error):
                    raise
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                self.collect()
                raise AssertionError(f"{what} within {timeout} s (page: {self.driver.current_url})")
            time.sleep(0.25)

    def wait_text(self, expected: str, selector: str = "body", timeout: float = 30) -> str:
        return self.wait(lambda: expected in (text := self.text(selector, timeout)) and text, timeout,
                         f"{expected!r} in {selector}")

    def shot(self, name: str) -> Path:
        """The whole page as SHOTS/NAME.png."""
        height = self.script("return Math.max(document.body.scrollHeight, 900)")
        self.driver.set_window_size(1440, min(height + 140, 5000))
        path = self.shots / f"{name}.png"
        self.driver.save_screenshot(str(path))
        self.driver.set_window_size(1440, 900)
        return path

    def quit(self):
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return f"{scheme}://{parts.netloc}"
