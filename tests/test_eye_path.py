"""One path for the eye: in every frame that writes an output cell of a convolution, the
connectors form one connected path that touches each kernel in use, the Σ node that
gathers their products, and ends on the cell being written; a pool's runs from its
window to the cell it writes. Lines never run beside an idle kernel, across a label or
across a value already written."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_render import conv_layers, pool_layers, transposed_layers

import convgif
from convgif.api import render
from convgif.views.route import Rect, distance, text_rect
from convgif.views.scene import Box, Line, Text
from convgif.views.sizes import BUS_DROP

EPS = 0.01


def _on(point, line: Line) -> bool:
    """Whether ``point`` lies on the axis-aligned segment ``line``."""
    x, y = point
    return (min(line.x0, line.x1) - EPS <= x <= max(line.x0, line.x1) + EPS
            and min(line.y0, line.y1) - EPS <= y <= max(line.y0, line.y1) + EPS)


def _touches(box: Box, line: Line) -> bool:
    """Whether an end of ``line`` lies on the outline of ``box``."""
    for x, y in ((line.x0, line.y0), (line.x1, line.y1)):
        inside_x = box.x - EPS <= x <= box.x + box.w + EPS
        inside_y = box.y - EPS <= y <= box.y + box.h + EPS
        on_x = abs(x - box.x) < EPS or abs(x - box.x - box.w) < EPS
        on_y = abs(y - box.y) < EPS or abs(y - box.y - box.h) < EPS
        if inside_x and inside_y and (on_x or on_y):
            return True
    return False


def _components(lines: list[Line], via: list[Box]) -> list[set[int]]:
    """Lines joined where an end of one lies on the other, or both end on one of the boxes
    ``via`` (the path passes through a kernel, the Σ node, the bias)."""
    parent = list(range(len(lines)))

    def root(i):
        while parent[i] != i:
            i = parent[i]
        return i

    for i, a in enumerate(lines):
        for j, b in enumerate(lines[:i]):
            ends = ((a.x0, a.y0), (a.x1, a.y1))
            if any(_on(p, b) for p in ends) or any(_on(p, a) for p in ((b.x0, b.y0), (b.x1, b.y1))):
                parent[root(i)] = root(j)
    for box in via:
        ends = [i for i, ln in enumerate(lines) if _touches(box, ln)]
        for i in ends[1:]:
            parent[root(i)] = root(ends[0])
    groups: dict[int, set[int]] = {}
    for i in range(len(lines)):
        groups.setdefault(root(i), set()).add(i)
    return list(groups.values())


@settings(max_examples=30, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.one_of(conv_layers(), transposed_layers()))
def test_the_path_runs_from_the_kernels_through_the_sum_to_the_cell(layer_shape):
    layer, shape = layer_shape
    _check_path(render.picture(layer, input_shape=shape))


def _check_path(view, frames=None) -> None:
    """In each step frame, the lines that end on the cell being written are one path with
    the Σ and every lit kernel of the output channel on it."""
    lay = view.layout
    for i in frames or range(1, len(view) - 1):
        state = view.storyboard.frame(i)
        if state.phase != "step":
            continue
        dynamic = view.scene(i).dynamic
        lines = [it for it in dynamic if isinstance(it, Line)]
        for cell in state.cells:
            oc = cell.out_channel
            if oc not in lay.outputs:
                continue
            target = next(b for b in dynamic if isinstance(b, Box) and b.fill == "output_active"
                          and b.edge == "window" and lay.outputs[oc].x <= b.x
                          and b.x < lay.outputs[oc].x + lay.outputs[oc].width
                          and lay.outputs[oc].y <= b.y < lay.outputs[oc].y + lay.outputs[oc].height)
            ending = [k for k, ln in enumerate(lines) if _touches(target, ln)]
            assert ending, f"frame {i}: no connector ends on the cell being written"
            node = lay.sums[oc]
            sigma = Box(node.x, node.y, node.cell, node.cell)
            via = [sigma] + [Box(b.x, b.y, b.cell, b.cell) for b in [lay.biases.get(oc)] if b]
            via += [Box(g.x, g.y, g.width, g.height)
                    for (o, _), g in lay.kernels.items() if o == oc]
            path = next(c for c in _components(lines, via) if ending[0] in c)
            assert any(_touches(sigma, lines[k]) for k in path), f"frame {i}: Σ not on the path"
            lit = [b for b in dynamic if isinstance(b, Box) and b.edge == "window"
                   and any(b.x == g.x and b.y == g.y for (o, _), g in lay.kernels.items()
                           if o == oc)]
            assert lit
            for box in lit:
                assert any(_touches(box, lines[k]) for k in path), f"frame {i}: kernel off the path"


WRAPPED = [
    # input channels in bands, each with its kernel rows; the Σ in the last band
    (convgif.Conv1d(8, 16, 5, padding=2), (8, 64)),
    (convgif.Conv3d(4, 2, 3, padding=1), (4, 4, 8, 8)),
    # groups in bands of their own
    (convgif.Conv2d(16, 8, 3, padding=1, groups=4), (16, 8, 8)),
    (convgif.Conv1d(8, 8, 3, groups=4), (8, 64)),
]


@pytest.mark.parametrize("layer, shape", WRAPPED)
def test_the_path_joins_the_bands(layer, shape):
    view = render.picture(layer, input_shape=shape)
    lay = view.layout
    assert len({g.y for g in lay.inputs.values()}) > 1, "the input channels wrap into bands"
    frames = [i for i in range(1, len(view) - 1) if view.storyboard.frame(i).phase == "step"]
    _check_path(view, frames[:4] + frames[-2:])
    _idle_kernels_kept_clear(view, frames=frames[:4])


def _output_box(dynamic, grid) -> Box:
    """The cell being written in an output grid: lit, outlined as the window."""
    return next(b for b in dynamic if isinstance(b, Box) and b.fill == "output_active"
                and b.edge == "window" and grid.x <= b.x < grid.x + grid.width
                and grid.y <= b.y < grid.y + grid.height)


def _crosses(line: Line, rect: Rect) -> bool:
    """Whether ``line`` runs through the inside of ``rect`` (touching its edge is not)."""
    inner = Rect(rect.x0 + EPS, rect.y0 + EPS, rect.x1 - EPS, rect.y1 - EPS)
    return inner.x0 < inner.x1 and inner.y0 < inner.y1 and distance(line, inner) == 0


def _labels(view) -> list[Rect]:
    """The boxes of the picture's names and headers (not the values inside its grids)."""
    lay = view.layout
    grids = [*lay.inputs.values(), *lay.outputs.values()]
    return [text_rect(t) for t in view.static if isinstance(t, Text)
            and not any(g.x <= t.x <= g.x + g.width and g.y <= t.y <= g.y + g.height
                        for g in grids)]


def _written(view, state, oc) -> list[Rect]:
    """The output cells of channel ``oc`` finished before this frame (row-major)."""
    grid = view.layout.outputs[oc]
    done = view.storyboard.finished(state, oc)
    cells = [divmod(k, grid.cols) for k in range(done)]
    return [Rect(*grid.rect(r, c)[:2], grid.rect(r, c)[0] + grid.cell,
                 grid.rect(r, c)[1] + grid.cell) for r, c in cells]


@settings(max_examples=25, suppress_health_check=list(HealthCheck), deadline=None)
@given(pool_layers())
def test_a_pools_line_runs_from_its_window_to_the_cell_being_written(layer_shape):
    layer, shape = layer_shape
    view = render.picture(layer, input_shape=shape)
    lay, labels = view.layout, _labels(view)
    for i in range(1, len(view) - 1):
        state = view.storyboard.frame(i)
        if state.phase != "step" or not state.cells:
            continue
        dynamic = view.scene(i).dynamic
        lines = [it for it in dynamic if isinstance(it, Line)]
        windows = [b for b in dynamic if isinstance(b, Box) and b.edge == "window"
                   and b.fill is None]
        for cell in state.cells:
            oc = cell.out_channel
            if oc not in lay.outputs:
                continue
            target = _output_box(dynamic, lay.outputs[oc])
            ending = [k for k, ln in enumerate(lines) if _touches(target, ln)]
            assert len(ending) == 1, f"frame {i + 1}: {len(ending)} lines end on y[{oc}]'s cell"
            path = next(c for c in _components(lines, []) if ending[0] in c)
            # each channel drawn has a line of its own, from under its own window
            grid = lay.inputs[oc]
            bottom = grid.y + grid.height
            window = next(b for b in windows if grid.x <= b.x < grid.x + grid.width
                          and grid.y <= b.y < bottom)
            starts = [k for k in path if any(
                abs(y - bottom) < EPS and window.x - EPS <= x <= window.x + window.w + EPS
                for x, y in ((lines[k].x0, lines[k].y0), (lines[k].x1, lines[k].y1)))]
            assert starts, f"frame {i + 1}: y[{oc}]'s line does not leave from its window"
            written = _written(view, state, oc)
            for k in path:
                for rect in labels + written:
                    assert not _crosses(lines[k], rect), (i + 1, lines[k], rect)


def _idle_kernels_kept_clear(view, room: float = 4.0, frames=None) -> None:
    """In every frame, the connectors from the window to the kernels in use keep at least
    ``room`` px from each kernel not in use, and the bus from them to the Σ (midway
    between kernel rows, ``BUS_DROP`` under them) at least 4 px."""
    lay = view.layout
    kernels = list(lay.kernels.values())
    for i in frames or range(len(view)):
        dynamic = view.scene(i).dynamic
        lit = {(b.x, b.y) for b in dynamic if isinstance(b, Box) and b.edge == "window"}
        idle = [Rect(g.x, g.y, g.x + g.width, g.y + g.height) for g in kernels
                if (g.x, g.y) not in lit]
        bottoms = {g.y + g.height for g in kernels if (g.x, g.y) in lit}
        for line in (it for it in dynamic if isinstance(it, Line)):
            on_bus = any(b - EPS <= min(line.y0, line.y1) and max(line.y0, line.y1)
                         <= b + BUS_DROP + EPS for b in bottoms)
            for rect in idle:
                assert distance(line, rect) >= (4.0 if on_bus else room) - EPS, (i + 1, line)


@settings(max_examples=30, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.one_of(conv_layers(), transposed_layers()))
def test_lines_keep_clear_of_idle_kernels(layer_shape):
    layer, shape = layer_shape
    _idle_kernels_kept_clear(render.picture(layer, input_shape=shape))


@settings(max_examples=15, suppress_health_check=list(HealthCheck), deadline=None)
@given(transposed_layers())
def test_scatter_lines_keep_clear_of_idle_kernels(layer_shape):
    layer, shape = layer_shape
    _idle_kernels_kept_clear(render.picture(layer, input_shape=shape, view="scatter"))


def test_lines_to_a_lower_row_keep_clear_of_the_kernels_above():
    """The finding: Conv2d(3, 6, 3) on 3×6×6, y[4]'s frames ran its lines 8 px beside
    the kernels of rows 0-3; and a transposed layer's, gather and scatter. These layouts
    leave room for a line well clear of them: 12 px."""
    _idle_kernels_kept_clear(render.picture(convgif.Conv2d(3, 6, 3), input_shape=(3, 6, 6),
                                            step="output"), room=12)
    layer = convgif.ConvTranspose2d(2, 4, 3, stride=2)
    for view in ("gather", "scatter"):
        _idle_kernels_kept_clear(render.picture(layer, input_shape=(2, 3, 3), view=view,
                                                step="output"), room=12)


def test_the_pool_of_the_finding_ends_on_the_cell_it_writes():
    """AvgPool2d(3, stride=2, padding=1, ceil_mode=True) on 1×7×7, frame 10 writes y[0, 2, 0]:
    its line ends on that cell's left edge, not on row 0 through the y[0] label."""
    view = render.picture(convgif.AvgPool2d(3, stride=2, padding=1, ceil_mode=True),
                          input_shape=(1, 7, 7))
    dynamic = view.scene(9).dynamic
    grid = view.layout.outputs[0]
    target = _output_box(dynamic, grid)
    assert (target.x, target.y) == grid.rect(2, 0)[:2]
    lines = [it for it in dynamic if isinstance(it, Line)]
    last = [ln for ln in lines if _touches(target, ln)]
    assert len(last) == 1 and last[0].x1 == target.x and last[0].y1 == target.y + target.h / 2
    assert all(not _crosses(ln, r) for ln in lines for r in _labels(view))
