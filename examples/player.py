"""The step-through player: one self-contained HTML page of the headline layer, and a
screenshot of it in headless Chromium (the README shows it).

Needs selenium (in the test extra) and Debian's chromium and chromium-driver:

    python examples/player.py      # writes outputs/player.html and outputs/player.png
"""

import tempfile
from pathlib import Path

import convgif

SCREEN = (1100, 760)  # the browser window, in CSS pixels
FRAME = 6  # the frame shown: the window lit on all three input channels


def screenshot(page: Path, png: Path) -> None:
    """``page`` opened from file:// in headless Chromium, stepped to FRAME, saved as ``png``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.keys import Keys

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic", f"--window-size={SCREEN[0]},{SCREEN[1]}",
                 "--force-device-scale-factor=1", "--hide-scrollbars"):
        options.add_argument(flag)
    with tempfile.TemporaryDirectory(prefix="convgif-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
        try:
            driver.get(page.resolve().as_uri())
            body = driver.find_element("css selector", "body")
            body.send_keys(Keys.HOME)  # stepping pauses the player
            for _ in range(FRAME - 1):
                body.send_keys(Keys.ARROW_RIGHT)
            driver.save_screenshot(str(png))
        finally:
            driver.quit()


if __name__ == "__main__":
    out = Path("outputs")
    out.mkdir(exist_ok=True)
    layer = convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)
    layer.animate(out / "player.html", input_shape=(3, 7, 7))
    screenshot(out / "player.html", out / "player.png")
    print(f"wrote {out / 'player.html'} and {out / 'player.png'}")
