"""The admin in a real headless Chromium (Debian's chromium + chromium-driver, driven by selenium).
Skipped, with the reason, only when no browser is installed (scripts/test.sh installs one as root)."""
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.conf import settings

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def _find(variable: str, *names: str) -> str | None:
    """The path in environment `variable`, else the first of `names` on PATH."""
    return os.environ.get(variable) or next(filter(None, map(shutil.which, names)), None)


@pytest.fixture(scope="session")
def browser():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install -r requirements-dev.txt)")
    binary = _find("CHROMIUM", "chromium", "chromium-browser", "google-chrome")
    driver_path = _find("CHROMEDRIVER", "chromedriver")
    if not binary or not driver_path:
        pytest.skip("No browser: the admin browser tests need Debian's chromium and chromium-driver "
                    "(bash scripts/test.sh installs them when run as root; or set CHROMIUM and CHROMEDRIVER).")
    profile = tempfile.mkdtemp(prefix="octant-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1366,900", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(driver, name: str) -> Path:
    """The whole page as var/screenshots/NAME.png."""
    height = driver.execute_script("return Math.max(document.body.scrollHeight, 600)")
    driver.set_window_size(1366, min(height + 140, 6000))
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(1366, 900)
    return path
