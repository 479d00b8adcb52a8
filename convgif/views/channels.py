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


# Every channel is drawn up to these counts (the legibility rule's promise); beyond, the
# first and last few of each group.
MAX_SHOWN_IN, MAX_SHOWN_OUT = 8, 8


def shown(trace, chosen=None) -> tuple[list, list]:
    """The input and output channels drawn (None where an ellipsis stands for the rest):
    all up to eight, else some of every group (the ellipsis inside its group);
    ``chosen`` output channels narrow them, all of them drawn when few. The inputs drawn
    are those that feed the outputs drawn (their groups')."""
    chosen = sorted(chosen) if chosen else None
    if trace.kernel is None:  # pooling: each output channel sits under its input channel
        drawn = _by_group(chosen or range(trace.in_channels), 1, MAX_SHOWN_IN)
        return _with_gaps(drawn), _with_gaps(drawn)
    in_pg, out_pg = trace.in_per_group, trace.out_per_group
    drawn_out = _by_group(chosen or range(trace.out_channels), out_pg, MAX_SHOWN_OUT)
    groups = sorted({oc // out_pg for oc in drawn_out})
    feeding = [g * in_pg + i for g in groups for i in range(in_pg)]
    return _with_gaps(_by_group(feeding, in_pg, MAX_SHOWN_IN)), _with_gaps(drawn_out)


def _by_group(channels, per_group: int, limit: int) -> list:
    """``channels`` when at most ``limit``; else the first and last of each group, then as
    many more of each group's first as the limit allows (each group's share in turn), so
    no group is hidden whole while groups are fewer than the limit and each ellipsis
    stands inside its group. With more groups than that, the first and last groups'."""
    channels = list(channels)
    if len(channels) <= limit:
        return channels
    members: dict[int, list] = {}
    for ch in channels:
        members.setdefault(ch // per_group, []).append(ch)
    groups = list(members.values())
    if len(groups) > limit:  # one channel of the first groups and of the last
        kept = groups[: limit - 1] + groups[-1:]
        return [g[0] for g in kept]
    drawn = [set(g[:1] + g[-1:]) for g in groups]
    budget = limit - sum(map(len, drawn))
    while budget > 0:
        grew = False
        for g, picks in zip(groups, drawn):
            more = [ch for ch in g if ch not in picks]
            if budget > 0 and more:
                picks.add(more[0])
                budget -= 1
                grew = True
        if not grew:
            break
    return sorted(set().union(*drawn))


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
