"""Pictures inline in a notebook: the step-through player, with a still where scripts are
stripped.

Jupyter asks an object for its ``_repr_mimebundle_``: a player gives ``text/html`` (the
player of ``convgif.backends.player``, holding a PNG of one frame that its script replaces)
and ``image/png`` (the same frame, base64), so a viewer that strips scripts (GitHub's and
nbviewer's static renders) or shows no HTML still shows the picture. Nothing here imports
IPython: the notebook calls these methods itself.
"""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path

import numpy as np

from convgif.api import render
from convgif.api.options import Output, frame_position, split_options
from convgif.api.pictures import picture
from convgif.api.result import Rendered
from convgif.errors import ConvGifError
from convgif.views.view import View

DEFAULT_SIDE = 7  # the spatial size of a layer's own display input, as `convgif`'s 3,7,7
LARGEST_SIDE = 64  # the largest a layer's display input grows to fit its kernel


class Player:
    """A picture to step through in a notebook: displays itself inline, saves to any format.

    ``frames``, ``size`` (width, height in pixels) and ``duration_ms`` are those of its
    animation, as ``save`` writes it. ``frame`` (from 1, negative from the end) is the still
    shown where the player's script cannot run.
    """

    def __init__(self, view: View, output: Output, frame: int = -1, text: str = "convgif"):
        self.view = view
        self.output = output
        self.frame = frame_position(frame, len(view)) + 1  # refused now, in the calling cell
        self.text = text
        self.about = render.rendered(None, view, output)
        self._html: str | None = None
        self._png: bytes | None = None

    @property
    def frames(self) -> int:
        return self.about.frames

    @property
    def size(self) -> tuple[int, int]:
        return self.about.size

    @property
    def duration_ms(self) -> int:
        return self.about.duration_ms

    def png(self) -> bytes:
        """The still (frame ``frame``) as PNG bytes, made once."""
        if self._png is None:
            with tempfile.TemporaryDirectory(prefix="convgif-") as folder:
                path = Path(folder) / "still.png"
                render.still_view(path, self.view, self.frame, self.output)
                self._png = path.read_bytes()
        return self._png

    def html(self) -> str:
        """The player as one ``<div>``, the still inside it for where scripts are stripped."""
        if self._html is None:
            from convgif.backends import player

            data = render.player_data(self.view, self.output)
            uri = "data:image/png;base64," + base64.b64encode(self.png()).decode("ascii")
            title = player.title_of(self.view.scene(0))
            self._html = player.player_fragment(data, title, still=uri)
        return self._html

    def _repr_html_(self) -> str:
        return self.html()

    def bundle(self, text: str | None = None) -> dict:
        """What a notebook stores: the player, its still as base64 PNG (for a viewer that
        shows no HTML), and ``text`` (this player's description by default)."""
        return {
            "text/html": self.html(),
            "image/png": base64.b64encode(self.png()).decode("ascii"),
            "text/plain": repr(self) if text is None else text,
        }

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return chosen(self.bundle(), include, exclude)

    def save(self, path) -> Rendered:
        """Write the animation to ``path`` as ``layer.animate`` does (the extension picks the
        format: .html the page, .gif, .webp, .mp4, ...); returns what it wrote, a ``Rendered``."""
        render.animate_view(path, self.view, self.output)
        return render.rendered(path, self.view, self.output)

    def __repr__(self) -> str:
        width, height = self.size
        return (f"<convgif player: {self.text}, {self.frames} frames, {width}x{height} px, "
                f"{self.duration_ms / 1000:.1f} s>")


def player(layer, *, x=None, input_shape=None, frame: int = -1, text: str | None = None,
           **options) -> Player:
    """The player of ``layer`` on its input (``x`` or ``input_shape``), every option checked
    and the picture laid out now: a mistake is refused in the cell that asked."""
    output, rest = split_options(options)
    render.check_layer_size(layer, x, input_shape, rest, output)
    view = picture(layer, x=x, input_shape=input_shape, **rest)
    render.check_budget(view, render.frame_scale(view, output.scale),
                        len(render.frame_indices(view, output.max_frames)), output.force)
    given = f"x.shape={tuple(np.shape(x))}" if x is not None else f"input_shape={input_shape}"
    return Player(view, output, frame, text or f"{layer!r} on {given}")


def display_shape(layer) -> tuple[int, ...]:
    """The input a layer displays itself on: its channels (one when it does not say, as a
    pooling layer) and ``DEFAULT_SIDE`` cells an axis, or the fewest above that it takes."""
    spec = layer.spec
    channels = spec.in_channels or 1
    for side in range(DEFAULT_SIDE, LARGEST_SIDE + 1):
        spatial = (side,) * spec.ndim
        shape = (*spatial, channels) if spec.channels_last else (channels, *spatial)
        try:
            layer.output_shape(shape)
        except ConvGifError:
            continue
        return shape
    raise ConvGifError(f"{layer!r} takes no input up to {LARGEST_SIDE} cells a side")


def layer_bundle(layer, include=None, exclude=None) -> dict:
    """A layer's own display: its player on ``display_shape``'s example input, or, when its
    picture cannot be made (too large), its text and the reason (a display never raises)."""
    try:
        shape = display_shape(layer)
        shown = player(layer, input_shape=shape, text=f"{layer!r} on input_shape={shape}")
    except ConvGifError as error:
        return chosen({"text/plain": f"{layer!r}\n(no picture: {error})"}, include, exclude)
    return chosen(shown.bundle(repr(layer)), include, exclude)


def chosen(bundle: dict, include=None, exclude=None) -> dict:
    """The bundle's formats the notebook asked for (``include``) and did not refuse."""
    return {key: value for key, value in bundle.items()
            if (include is None or key in include) and key not in (exclude or ())}
