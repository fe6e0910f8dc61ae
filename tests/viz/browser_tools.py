"""Headless Chromium for the browser tests (Debian's chromium + chromium-driver; ``make sysdeps``)."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "out" / "test-artifacts"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-unsafe-swiftshader", "--window-size=1280,900")


def start_chromium():
    """A selenium driver on headless Chromium with a fresh profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not binary or not driver:
        raise RuntimeError("chromium and chromium-driver are not installed: run `make sysdeps` "
                           "(apt-get install chromium chromium-driver)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for flag in FLAGS:
        opts.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="netintel-chromium-")
    opts.add_argument(f"--user-data-dir={profile}")
    browser = webdriver.Chrome(options=opts, service=Service(driver))
    browser._netintel_profile = profile
    return browser


def stop_chromium(browser) -> None:
    browser.quit()
    shutil.rmtree(browser._netintel_profile, ignore_errors=True)


def open_chart(browser, path: Path, *, timeout: float = 20.0, index: int = 0) -> str:
    """Open a page and wait until its ``index``-th netintel chart has drawn; returns the chart id."""
    browser.get(Path(path).resolve().as_uri())
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        ids = browser.execute_script("return window.netintelCharts ? Object.keys(window.netintelCharts) : []")
        if len(ids) > index:
            return ids[index]
        time.sleep(0.05)
    logs = browser.get_log("browser")
    raise AssertionError(f"{path}: no chart drew within {timeout} s; browser log: {logs[-5:]}")


def call(browser, chart: str, js: str):
    """Run ``js`` (an expression on ``c``, the chart's API) in the page and return its value."""
    return browser.execute_script(f"const c = window.netintelCharts[{chart!r}]; return {js};")


def screenshot(browser, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    browser.save_screenshot(str(path))
    return path
