"""Which channels a picture draws when there are too many: the first and last few, and
an ellipsis (None) that says how many it left out."""

from __future__ import annotations


def shown_channels(count: int, limit: int = 6, head: int = 3, tail: int = 2) -> list:
    """The channels drawn: all when few, else the first and last few with None for the gap."""
    if count <= limit:
        return list(range(count))
    return [*range(head), None, *range(count - tail, count)]


def _shown_among(chosen: list, limit: int, head: int, tail: int) -> list:
    """Like shown_channels, over a chosen list of channels."""
    return [
        None if i is None else chosen[i] for i in shown_channels(len(chosen), limit, head, tail)
    ]


def shown(trace, chosen=None) -> tuple[list, list]:
    """The input and output channels drawn (None where an ellipsis stands for the rest):
    all when few, else the first and last few; ``chosen`` output channels narrow them.
    The inputs drawn are among those that feed the outputs drawn (their groups')."""
    chosen = sorted(chosen) if chosen else None
    if trace.kernel is None:  # pooling: each output channel sits under its input channel
        shown_in = _shown_among(chosen, 6, 3, 2) if chosen else shown_channels(trace.in_channels)
        return _with_gaps(shown_in), _with_gaps(shown_in)
    # Output channels take a row each, so fewer of them fit.
    if chosen:
        shown_out = _shown_among(chosen, 4, 2, 1)
    else:
        shown_out = shown_channels(trace.out_channels, 4, 2, 1)
    in_pg, out_pg = trace.in_per_group, trace.out_per_group
    groups = sorted({oc // out_pg for oc in shown_out if oc is not None})
    feeding = [g * in_pg + i for g in groups for i in range(in_pg)]
    return _with_gaps(_shown_among(feeding, 6, 3, 2)), shown_out


def _with_gaps(channels: list) -> list:
    """``channels`` with an ellipsis (None) wherever consecutive ones skip some."""
    out = []
    for ch in channels:
        if ch is not None and out and out[-1] is not None and ch > out[-1] + 1:
            out.append(None)
        out.append(ch)
    return out


def hidden_at(shown: list, index: int) -> int:
    """How many channels an ellipsis at ``shown[index]`` stands for."""
    return shown[index + 1] - shown[index - 1] - 1


def shown_lit(count: int, lit, rows: int = 6) -> list:
    """The channels drawn for a map of ``count`` channels, top to bottom, with None for
    each run of channels left out (one row, whose ellipsis says how many): all when they
    fit in ``rows``; else, within ``rows``, as many ``lit`` channels as can be (a lit
    channel left out hides what the picture is about), then the first and last for
    context, then as many channels as fit, nearest the ends."""
    if count <= rows:
        return list(range(count))
    lit = set(lit)

    def worth(c: int) -> tuple:
        return (c in lit, c in (0, count - 1), 1, -min(c, count - 1 - c), -c)

    # Dynamic programming over the channels in order. A state is (rows used, whether the
    # last channel was drawn); skipping a channel right after a drawn one opens a gap row.
    # Scores are tuples added term by term and compared in order: the best row plan.
    best = {(0, True): ((0, 0, 0, 0, 0), ())}
    for c in range(count):
        gain, after = worth(c), {}
        for (used, drawn), (score, picks) in best.items():
            for state, value in (
                ((used + 1, True), (tuple(a + b for a, b in zip(score, gain)), picks + (c,))),
                ((used + drawn, False), (score, picks)),
            ):
                if state[0] <= rows and (state not in after or value[0] > after[state][0]):
                    after[state] = value
        best = after
    picks = max(best.values())[1]
    out, last = [], -1
    for c in picks:
        if c != last + 1:
            out.append(None)
        out.append(c)
        last = c
    return out + [None] if last != count - 1 else out
