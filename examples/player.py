"""The step-through player: one self-contained HTML page of the headline layer, and
screenshots of it in headless Chromium at 1280 and at 3840 pixels wide (the README shows
the first; the second is a 4K projector's width).

Needs selenium (in the test extra) and Debian's chromium and chromium-driver:

    python examples/player.py   # writes outputs/player.html, outputs/player.png (1280 px)
                                # and outputs/player_3840.png
"""

from pathlib import Path

import convgif
from convgif.backends.browser import headless_chromium

# file name -> the browser window (width, height) in pixels, one device pixel each
SCREENS = {"player.png": (1280, 800), "player_3840.png": (3840, 2160)}
FRAME = 6  # the frame shown: the window lit on all three input channels


def screenshot(page: Path, png: Path, width: int, height: int) -> None:
    """``page`` opened from file:// in a ``width`` x ``height`` window, stepped to FRAME,
    saved as ``png``."""
    from selenium.webdriver.common.keys import Keys

    with headless_chromium(width, height) as driver:
        driver.get(page.resolve().as_uri())
        body = driver.find_element("css selector", "body")
        body.send_keys(Keys.HOME)  # stepping pauses the player
        for _ in range(FRAME - 1):
            body.send_keys(Keys.ARROW_RIGHT)
        driver.save_screenshot(str(png))


def main(out: Path) -> None:
    """The page and its screenshots in ``out``."""
    out.mkdir(exist_ok=True)
    layer = convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)
    layer.animate(out / "player.html", input_shape=(3, 7, 7))
    for name, (width, height) in SCREENS.items():
        screenshot(out / "player.html", out / name, width, height)
        print(f"wrote {out / name} ({width} x {height})")
    print(f"wrote {out / 'player.html'}")


if __name__ == "__main__":
    main(Path("outputs"))
