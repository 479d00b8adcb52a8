"""The browser backend: a view's scenes as a self-contained HTML page that steps through them.

The page draws each frame as SVG from the scene data, embedded as JSON: the static items
once, then for each frame only what it adds (the items settled since the frame before, and
its own dynamic items). The page's script (``player.js``, short and readable) replays the
settled items of frames 0..k to show frame k, keeping each frame's as one cached group, so
stepping back only hides groups. SVG rather than a canvas: text stays text, drawn by the
browser at whatever size the page is shown (a 4K projector, a zoomed-in page) with no
redrawing for the device's pixel ratio; and every cell is an element a test can find.

Colours are the style's, resolved here into a table role -> ``#rrggbb``; items keep their
roles (shorter, and each element carries its role for tests). Text is placed as the raster
backend places it: Pillow's vertical anchors become a baseline computed from the font's own
ascent and descent, so the page needs no ``dominant-baseline`` (which browsers differ on).
Nothing in the page is fetched: photos (``Bitmap``) are PNG data URIs.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from string import Template

from convgif.backends.bitmap import pixels
from convgif.backends.fonts import find_font, load
from convgif.backends.shapes import BOX_DASH, LINE_DASH, dash_lengths
from convgif.backends.style import Style, get_style
from convgif.views.scene import Bitmap, Box, Line, Scene, Text

FALLBACK_FAMILIES = ("DejaVu Sans", "sans-serif")  # the raster's font, then the browser's
METRICS_SIZE = 1000  # px a font is measured at: its ascent and descent in 1/1000 em
DIGITS = 2  # decimals of a coordinate (1/100 of a layout unit: below any screen's pixel)
SPEEDS = (0.5, 1, 2)
COUNTER = re.compile(r"frame \d+/\d+")  # how the chrome's counter begins (views.chrome)
# the page around a player: the style's paper to its edges (a dark page for the dark style)
PAGE_CSS = ("html, body {{ margin: 0; background: {paper}; color: {ink}; font-family: {font}; }}\n"
            "body {{ padding: 8px 12px; box-sizing: border-box; }}\n")


@dataclass(frozen=True)
class Frame:
    """What one frame of the page adds: its settled items, its dynamic ones, how long it
    stays, and its caption lines (as text beside the picture)."""

    settled: tuple
    dynamic: tuple
    ms: int
    caption: tuple[str, ...]
    base: int = 0  # which static layer it is drawn on (a view's static items rarely change)
    counter: str = ""  # the counter the picture draws ("frame 4/20 (7 shown, ...)"), if any


def caption_lines(scene: Scene) -> tuple[str, ...]:
    """A frame's caption: its fleeting texts hung from the left (the chrome's caption lines;
    the counter, also fleeting, hangs from the right), top to bottom."""
    lines = [item for item in scene.dynamic
             if isinstance(item, Text) and item.fleeting and item.anchor[:1] == "l" and item.text]
    return tuple(item.text for item in sorted(lines, key=lambda item: (item.y, item.x)))


def counter_of(scene: Scene) -> str:
    """The frame counter the picture draws (a fleeting text hung from the right that reads
    ``frame k/n``), or "" when it draws none: the page's counter says the same, so a sampled
    animation's page numbers its frames as its pictures do (frame 4/20, not 2/7)."""
    for item in scene.dynamic:
        if (isinstance(item, Text) and item.fleeting and item.anchor[:1] == "r"
                and COUNTER.match(item.text)):
            return item.text
    return ""


def walk_frames(scenes: Iterable[Scene], durations) -> tuple[list[tuple], list[Frame]]:
    """(static layers, frames) of scenes made as a walk (each ``since`` the one before)."""
    statics: list[tuple] = []
    frames = []
    for scene, ms in zip(scenes, durations):
        if not statics or scene.static is not statics[-1] and scene.static != statics[-1]:
            statics.append(scene.static)
        frames.append(Frame(scene.settled, scene.dynamic, int(ms), caption_lines(scene),
                            len(statics) - 1, counter_of(scene)))
    return statics, frames


# --------------------------------------------------------------------------- items as JSON


def _n(value: float):
    """A coordinate as short as JSON can say it: ``12`` not ``12.0``."""
    value = round(float(value), DIGITS)
    return int(value) if value.is_integer() else value


class _Encoder:
    """Turns items into short JSON arrays (see ``player.js``'s ``draw``)."""

    def __init__(self, style: Style, font=None):
        self.style = style
        self.regular, self.bold = find_font(font, bold=False), find_font(font, bold=True)
        self.roles: set[str] = set()

    def role(self, role):
        if role is not None:
            self.roles.add(role)
        return role

    def baseline(self, text: Text) -> float:
        """How far below the anchor point the baseline lies, as Pillow anchors text."""
        ascent, descent = load(self.bold if text.bold else self.regular,
                               METRICS_SIZE).getmetrics()
        ascent, descent = ascent / METRICS_SIZE, descent / METRICS_SIZE
        shift = {"a": ascent, "m": (ascent - descent) / 2, "s": 0.0, "d": -descent,
                 "t": ascent, "b": -descent}.get(text.anchor[1:2] or "m", 0.0)
        return shift * text.size

    def item(self, item) -> list:
        if isinstance(item, Box):
            dash = dash_lengths(*BOX_DASH, item.edge_width) if item.dashed else 0
            return ["b", _n(item.x), _n(item.y), _n(item.w), _n(item.h), self.role(item.fill),
                    self.role(item.edge), _n(item.edge_width), dash and [_n(d) for d in dash]]
        if isinstance(item, Text):
            return ["t", _n(item.x), _n(item.y + self.baseline(item)), item.text, _n(item.size),
                    self.role(item.color), item.anchor[:1] or "m", int(item.bold)]
        if isinstance(item, Line):
            dash = dash_lengths(*LINE_DASH, item.width) if item.dashed else 0
            return ["l", _n(item.x0), _n(item.y0), _n(item.x1), _n(item.y1),
                    self.role(item.color), _n(item.width), dash and [_n(d) for d in dash]]
        if isinstance(item, Bitmap):
            return ["i", _n(item.x), _n(item.y), _n(item.w), _n(item.h), self.png(item)]
        raise TypeError(f"cannot draw {type(item).__name__}: {item!r}")

    def items(self, items) -> list:
        return [self.item(item) for item in items if not (isinstance(item, Text)
                                                          and not item.text)]

    def png(self, item: Bitmap) -> str:
        """The bitmap as a PNG data URI, its roles' colours as the palette."""
        from PIL import Image

        image = Image.fromarray(pixels(item), mode="P")
        image.putpalette([c for role in item.roles for c in self.style.rgb(role)])
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")

    def colors(self, also=()) -> dict[str, str]:
        return {role: "#{:02x}{:02x}{:02x}".format(*self.style.rgb(role))
                for role in sorted(self.roles | set(also))}


# --------------------------------------------------------------------------- the page


def title_of(scene: Scene) -> str:
    """The page's title: the largest text of the scene's static items (the picture's title)."""
    texts = [item for item in scene.static if isinstance(item, Text) and item.text]
    return max(texts, key=lambda item: item.size).text if texts else "convgif"


def _font_families(font) -> str:
    """The CSS font stack: the family of the font the raster uses, then the fallbacks."""
    family = load(find_font(font, bold=False), METRICS_SIZE).getname()[0]
    names = [family] + [name for name in FALLBACK_FAMILIES if name != family]
    return ", ".join(name if name == "sans-serif" else f"'{name}'" for name in names)


def _script_json(data) -> str:
    """JSON safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` can end it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _template(name: str) -> str:
    return resources.files("convgif.backends").joinpath(name).read_text(encoding="utf-8")


def player_data(width: float, height: float, scenes: Iterable[Scene], durations,
                style: str | Style = "default", font=None, autoplay: bool = True) -> dict:
    """What the page's script draws: the canvas, the colours, the static layers, the frames."""
    style = get_style(style)
    encoder = _Encoder(style, font)
    statics, frames = walk_frames(scenes, durations)
    if not frames:
        raise ValueError("a player needs at least one frame")
    return {
        "width": _n(width),
        "height": _n(height),
        "statics": [encoder.items(static) for static in statics],
        "frames": [{"ms": f.ms, "base": f.base, "settled": encoder.items(f.settled),
                    "dynamic": encoder.items(f.dynamic), "caption": list(f.caption),
                    "counter": f.counter or f"frame {k + 1}/{len(frames)}"}
                   for k, f in enumerate(frames)],
        "colors": encoder.colors(also=("paper", "ink", "muted", "grid")),
        "font": _font_families(font),
        "speeds": list(SPEEDS),
        "autoplay": autoplay,
    }


def still_markup(uri: str, title: str = "") -> str:
    """An ``<img>`` of one frame (``uri``: a data URI) that the player shows where its script
    does not run, and its script removes."""
    return (f'<img class="convgif-still" src="{html.escape(uri)}" alt="{html.escape(title)}" '
            'style="max-width:100%">\n')


def player_fragment(data: dict, title: str = "", still: str = "") -> str:
    """The player as one ``<div>`` (its markup, data and script), for a page or a notebook.

    ``still``: a data URI of one frame, shown in place of the player where scripts are
    stripped (a notebook's static render); none by default (a page of its own runs its
    script).
    """
    colors = data["colors"]
    return Template(_template("player.html")).substitute(
        still=still_markup(still, title) if still else "",
        title=html.escape(title),
        width=data["width"],
        height=data["height"],
        count=len(data["frames"]),
        counter=html.escape(data["frames"][0]["counter"]),
        aspect=_n(data["width"] / data["height"]),
        paper=colors["paper"],
        ink=colors["ink"],
        muted=colors["muted"],
        grid=colors["grid"],
        font=html.escape(data["font"]),
        css=_template("player.css"),
        data=_script_json(data),
        script=_template("player.js"),
    )


def page(data: dict, title: str = "") -> str:
    """A whole HTML document holding one player, its page in the style's paper colour."""
    colors = data["colors"]
    style = PAGE_CSS.format(paper=colors["paper"], ink=colors["ink"], font=data["font"])
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{html.escape(title or 'convgif')}</title>\n<style>\n{style}</style>\n"
        f"</head>\n<body>\n{player_fragment(data, title)}\n</body>\n</html>\n"
    )


__all__ = ["Frame", "caption_lines", "counter_of", "page", "player_data", "player_fragment",
           "still_markup", "title_of", "walk_frames"]
