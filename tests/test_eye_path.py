"""One path for the eye: in every frame that writes an output cell of a convolution, the
connectors form one connected path that touches each kernel in use, the Σ node that
gathers their products, and ends on the cell being written."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_render import conv_layers, transposed_layers

from convgif.api import render
from convgif.views.scene import Box, Line

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
    view = render.picture(layer, input_shape=shape)
    lay = view.layout
    for i in range(1, len(view) - 1):
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
