"""Headless Chromium for the HTML player: the one way the tests and the screenshot script
start a browser.

Debian's ``chromium`` and ``chromium-driver``, driven by ``selenium`` (the test extra). The
browser's own network features are off (no updates, sync or background fetches), so a page
opened from ``file://`` is seen as a reader sees it offline. selenium is imported when a
browser is started, never with the package.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
QUIET_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run",
               "--disable-quic", "--hide-scrollbars")


@contextlib.contextmanager
def headless_chromium(width: int, height: int, device_scale: float = 1.0,
                      console: bool = False) -> Iterator:
    """A selenium driver of headless Chromium whose page area is ``width`` x ``height`` CSS
    pixels, ``device_scale`` device pixels each (2: a high-density screen); ``console``:
    keep the page's console for ``driver.get_log("browser")``. Quit and its profile folder
    removed on leaving."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*QUIET_FLAGS, f"--window-size={width},{height}",
                 f"--force-device-scale-factor={device_scale:g}"):
        options.add_argument(flag)
    if console:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with tempfile.TemporaryDirectory(prefix="convgif-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        try:
            # the page's own area exactly that size (the window's size counts its frame too)
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": width, "height": height, "deviceScaleFactor": device_scale,
                "mobile": False})
            yield driver
        finally:
            driver.quit()
