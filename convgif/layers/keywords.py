"""Keywords a framework's constructor takes that do not change the numbers convgif computes.

Real code passes ``device="cuda"``, ``dtype=torch.float32``, ``name="conv1"``,
``activation="relu"`` or ``kernel_initializer=initializers.HeNormal()``. convgif
accepts them, keeps them as text and shows them as *not drawn* (``convgif info``);
they are never evaluated or imported. Which keywords those are is one table per
framework, so every kind (present or added later) gets the same treatment: the
Python constructors (``convgif.Conv2d(3, 6, 3, device="cuda")``) and a pasted
line (``--layer "nn.Conv2d(3, 6, 3, device=device)"``) go through ``sort_arguments``.

Everything else changes the arithmetic and is read as a literal only.
"""

from __future__ import annotations

import ast
import re
from typing import NamedTuple

from convgif.errors import NAME, ConvGifError, shown

TORCH, KERAS = "torch", "keras"

# What a pasted line may write before the kind, per framework, and nothing else.
PREFIXES = {TORCH: ("nn", "torch.nn"), KERAS: ("layers", "keras.layers", "tf.keras.layers")}


def framework_of(kind: str) -> str:
    """Keras spells the dimensions ``2D`` (Conv2D, MaxPooling2D, Conv2DTranspose),
    PyTorch ``2d`` (Conv2d, ConvTranspose2d) or not at all (Unfold)."""
    return KERAS if re.search(r"\dD", kind) else TORCH


def _weighted(kind: str, params) -> bool:
    return "bias" in params or "use_bias" in params


def _kernel(kind: str, params) -> bool:  # Depthwise/Separable name their kernels apart
    return _weighted(kind, params) and not re.search("Depthwise|Separable", kind)


def _depthwise(kind: str, params) -> bool:
    return bool(re.search("Depthwise|Separable", kind))


def _pointwise(kind: str, params) -> bool:
    return "Separable" in kind


def _every(kind: str, params) -> bool:
    return True


class NotDrawn(NamedTuple):
    """Keywords of one framework that a kind takes when ``applies(kind, its parameters)``,
    and why they are not drawn."""

    keywords: tuple[str, ...]
    applies: object  # (kind name, constructor parameter names) -> bool
    why: str


def _family(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}_{what}" for what in ("initializer", "regularizer", "constraint"))


TABLE = {
    TORCH: (
        # torch.nn's factory keywords: every layer with a weight takes them.
        NotDrawn(("device", "dtype"), _weighted,
                 "where and in which float type torch keeps the weights; convgif computes "
                 "exactly"),
    ),
    KERAS: (
        # keras.layers.Layer's own keywords: every layer takes them.
        NotDrawn(("name", "dtype", "trainable", "autocast", "activity_regularizer"), _every,
                 "the layer's name, float type and training settings"),
        NotDrawn(("activation",), _weighted,
                 "applied after the convolution: the output shown is before it"),
        NotDrawn(_family("bias"), _weighted,
                 "how training starts or limits the bias; convgif draws its own"),
        NotDrawn(_family("kernel"), _kernel,
                 "how training starts or limits the kernel; convgif draws its own"),
        NotDrawn(_family("depthwise"), _depthwise,
                 "how training starts or limits the kernel; convgif draws its own"),
        NotDrawn(_family("pointwise"), _pointwise,
                 "how training starts or limits the kernel; convgif draws its own"),
    ),
}


def not_drawn_keywords(kind: str, params) -> dict[str, str]:
    """keyword -> why it is not drawn, for ``kind`` whose constructor takes ``params``."""
    return {
        keyword: entry.why
        for entry in TABLE[framework_of(kind)]
        if entry.applies(kind, params)
        for keyword in entry.keywords
    }


class Code(str):
    """A value written as code (``device``, ``torch.float32``, ``initializers.HeNormal()``),
    kept as its text: never evaluated. Its repr is the text itself. ``named``: a name, a
    call of names or a formatted string, as the keywords that are not drawn may take."""

    named = True

    def __repr__(self) -> str:
        return str(self)


class Expression(Code):
    """Any other code (``ngf * 8``, ``lambda: 1``): kept only to say where it stands."""

    named = False


def _names_only(node) -> bool:
    """A dotted name, or a call of one whose arguments are literals or such calls; or a
    name built from text (``f"{prefix}_conv"``, ``"conv_pad_%d" % block_id``)."""
    if isinstance(node, (ast.Name, ast.JoinedStr)):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)
    if isinstance(node, ast.Attribute):
        return _names_only(node.value)
    if isinstance(node, ast.Call):
        parts = [*node.args, *(k.value for k in node.keywords)]
        return _names_only(node.func) and all(
            _literal(p) is not _NOT or _names_only(p) for p in parts
        ) and all(k.arg is not None for k in node.keywords)
    return False


_NOT = object()


def _literal(node):
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _NOT


def read_value(node, source: str):
    """A literal's value, else its text as ``Code`` (names, calls of names) or
    ``Expression`` (anything else); nothing is evaluated."""
    value = _literal(node)
    if value is not _NOT:
        return value
    text = ast.get_source_segment(source, node) or ast.unparse(node)
    return Code(text) if _names_only(node) else Expression(text)


def _closest(keyword: str, valid) -> str:
    import difflib  # only when a keyword is refused

    match = difflib.get_close_matches(keyword, sorted(valid), n=1, cutoff=0.6)
    if match:
        return f"; did you mean {match[0]}=?"
    return f"; it takes {', '.join(valid)}"


def _refused(text: str | None, param: str, value, rule: str) -> ConvGifError:
    """About the pasted line (``layer``) when there is one, else about the keyword."""
    if text is None:
        return ConvGifError(f"{param}={shown(value)}: {rule}", param)
    return ConvGifError(f"{NAME}={shown(text)}: {rule}", "layer")


def sort_arguments(kind: str, signature, args, kwargs, text: str | None = None):
    """``(args, kwargs, not_drawn)``: the arguments for the constructor's own ``signature``
    with the not-drawn keywords taken out (as ``{keyword: text}``).

    Refuses a keyword the framework's constructor does not take (suggesting the closest
    one) and a name (``Code``) where the arithmetic needs a literal. ``text``: the pasted
    line, which the messages then name (as ``layer``).
    """
    params = [
        p.name for p in signature.parameters.values()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    extra = not_drawn_keywords(kind, params)
    for keyword, value in kwargs.items():
        if keyword not in params and keyword not in extra:
            raise _refused(text, keyword, value, f"{kind}() got an unexpected keyword "
                           f"argument {keyword!r}{_closest(keyword, [*params, *extra])}")
    given = {k: v for k, v in kwargs.items() if k not in params}
    try:
        bound = signature.bind_partial(*args, **{k: v for k, v in kwargs.items()
                                                 if k in params})
    except TypeError as error:
        if text is None:
            raise  # a Python call: Python's own TypeError, as for any function
        raise _refused(text, "layer", args, f"{kind}() {error}") from None
    given.update({n: bound.arguments.pop(n) for n in list(bound.arguments) if n in extra})
    for name, value in [*bound.arguments.items(), *given.items()]:
        if isinstance(value, Code) and not (name in extra and value.named):
            rule = _LITERAL_RULE if name not in extra else _NAMED_RULE
            raise _refused(text, name, value, rule.format(
                name=name, value=shown(value), names=", ".join(extra) or "none here"))
    not_drawn = {k: repr(v) for k, v in given.items()}
    order = [k for k in [*params, *extra] if k in not_drawn]
    return bound.args, bound.kwargs, {k: not_drawn[k] for k in order}


_NAMED_RULE = (
    "{name}={value} is not read: a keyword convgif does not draw takes a literal, a name, a "
    "call of names (initializers.HeNormal()) or a formatted string; nothing is evaluated"
)

_LITERAL_RULE = (
    "every argument must be a literal (number, string, tuple, True/False/None); nothing is "
    "evaluated: {name}={value} changes the arithmetic, so it is read as a literal (names are "
    "read, as text, only for keywords that are not drawn: {names})"
)



def why_not_drawn(kind: str, keyword: str) -> str:
    """Why ``keyword`` of ``kind``'s framework is not drawn (its row of the table)."""
    return next(
        (e.why for e in TABLE[framework_of(kind)] if keyword in e.keywords),
        "does not change the numbers convgif computes",
    )


def not_drawn_info(kind: str, not_drawn) -> list[dict]:
    """``[{keyword, value, why}]``: what ``convgif info`` reports, as plain data."""
    return [{"keyword": k, "value": v, "why": why_not_drawn(kind, k)}
            for k, v in not_drawn.items()]


def not_drawn_text(entries: list[dict]) -> list[str]:
    """The report's lines for the keywords given that convgif does not draw."""
    if not entries:
        return []
    calls = [f"{e['keyword']}={e['value']}" for e in entries]
    width = min(max(map(len, calls)), 40)
    lines = ["  not drawn (accepted; convgif computes the layer without them):"]
    lines += [f"    {call:<{width}}  {e['why']}" for call, e in zip(calls, entries)]
    return lines
