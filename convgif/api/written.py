"""A view written to a file, described: what every picture verb returns.

The layer verbs (``animate``, ``still``) and the other pictures (``convgif.overlap``,
``convgif.stack``, ``convgif.features``) build their view, then write it here and return
a ``Rendered`` (``convgif.api.result``): the file, its frames, its size and its length,
never the view that drew it. The command line, which reports on the view itself, builds
the view with the same checks and writes it with ``write_view`` too.
"""

from __future__ import annotations

import os
from pathlib import Path

from convgif.api import render
from convgif.api.options import DEFAULT_OUTPUT, Output
from convgif.api.result import Rendered
from convgif.views.view import View


def write_view(path, view: View, output: Output = DEFAULT_OUTPUT, *, frame=-1,
               progress=None) -> Rendered:
    """Write ``view`` to ``path``: a still of frame ``frame`` (from 1, negative from the end)
    when the extension is a still's (.png, .svg, .pdf), else its animation (.gif, .webp,
    .html, .pptx, ...); returns what it wrote."""
    if Path(os.fspath(path)).suffix.lower() in render.STILL_FORMATS:
        render.still_view(path, view, frame, output)
        return render.rendered(path, view, output, still=True)
    render.animate_view(path, view, output, progress)
    return render.rendered(path, view, output)
