"""Whole networks: a torch model run once, with forward hooks on its leaf modules.

``from_torch(model, input_shape=...)`` runs the model on one input and keeps, in the
order they ran, every leaf module as a ``Step``: its path in the model
(``"features.0"``), its torch kind, the activation it received and the one it
produced (numpy copies of torch's own tensors), and for the kinds convgif simulates
the convgif layer with the module's weights (read by ``convgif.api.notebook``'s
single-layer ``from_torch``). The other kinds (activations, normalisation, dropout,
``Flatten``, ``Linear``, ...) stay steps of their own, with their shapes: a network is
never shown with a step left out.

Work done outside modules (the add of a ResNet block's skip connection, a functional
``F.relu`` or ``x.view(...)`` in ``forward``) has no hook; each step says where its
input came from (``source``): the model's input, an earlier step, or what the values
show it is (``"step 5 (bn2) + input"``, ``"relu(step 1 (conv1))"``, ``"step 6 (pool2)
(reshaped)"``).

torch is imported inside the functions that run a model, never by ``import convgif``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from convgif.errors import NAME, ConvGifError, in_context, name_of, shown
from convgif.simulate.receptive import KINDS as STACK_KINDS
from convgif.simulate.receptive import Reach, analytic

WHOLE = "whole input"  # the receptive field of a cell that reads every input cell
INPUT = "input"  # the source of a step that reads the model's input
# torch modules whose output cell reads only its own input cell (the receptive field passes)
ELEMENTWISE_MODULES = ("torch.nn.modules.activation", "torch.nn.modules.batchnorm",
                       "torch.nn.modules.dropout")
NOT_ELEMENTWISE = ("MultiheadAttention", "Softmax", "Softmin", "LogSoftmax", "GLU")
MAX_STEPS = 1000  # leaf calls recorded in one run
MAX_NETWORK_INPUT = 1 << 24  # values of the input a model is run on


@dataclass(frozen=True)
class Step:
    """One leaf module's call, in the order the model ran them."""

    position: int  # from 1
    name: str  # the module's path in the model; "relu (call 2)" for a second call
    kind: str  # torch's class name, e.g. "Conv2d", "ReLU"
    layer: object | None  # the convgif layer, for kinds convgif simulates; else None
    input: np.ndarray = field(repr=False)  # as torch gave it, batch first
    output: np.ndarray = field(repr=False)
    params: int  # the module's own parameters
    macs: int | None  # multiply-accumulates for one sample; None: the kind does none
    source: str  # where its input came from: "input", "step 3 (relu)", or what was done to it
    reach: Reach | str | None  # receptive field and jump of an output cell; WHOLE; None: unknown

    @property
    def simulated(self) -> bool:
        return self.layer is not None

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.input.shape)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return tuple(self.output.shape)


@dataclass(frozen=True)
class Network:
    """A model's steps in execution order, its input and its output."""

    steps: tuple[Step, ...]
    input: np.ndarray = field(repr=False)
    output: np.ndarray = field(repr=False)
    output_source: str  # where the model's output came from (a step, or e.g. "bn2 + input")

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self):
        return iter(self.steps)

    def __getitem__(self, index):
        return self.steps[index]

    @property
    def layers(self) -> list:
        """The convgif layers of the simulated steps, in order."""
        return [step.layer for step in self.steps if step.simulated]


# --------------------------------------------------------------------------- what a module is


def is_torch_module(obj) -> bool:
    """A ``torch.nn.Module`` (found without importing torch)."""
    return any(c.__name__ == "Module" and c.__module__.startswith("torch.nn")
               for c in type(obj).__mro__)


def _elementwise(module) -> bool:
    kind = type(module).__name__
    return kind == "Identity" or (type(module).__module__ in ELEMENTWISE_MODULES
                                  and kind not in NOT_ELEMENTWISE)


def _leaves(model) -> list[tuple[str, object]]:
    leaves = [(name, m) for name, m in model.named_modules() if not any(True for _ in m.children())]
    return [(name or type(m).__name__, m) for name, m in leaves]


# --------------------------------------------------------------------------- the input


def model_input(input_shape=None, x=None, seed: int = 0, dtype=None):
    """The tensor a model runs on: ``x`` as given (a batch), or a batch of one sample of
    ``input_shape`` holding small integers (0..4) from ``seed``."""
    import torch

    from convgif.layers.parse import parse_shape

    if (x is None) == (input_shape is None):
        raise ConvGifError(
            f"give the model's input as {NAME}=(C, H, W) (one sample; a batch of one is "
            f"made) or {name_of('x')}=<array> (a batch, as the model takes it), one of them",
            "input_shape",
        )
    if x is None:
        shape = parse_shape(input_shape, "input_shape")
        if math.prod(shape) > MAX_NETWORK_INPUT:
            raise ConvGifError(f"{NAME}={shape} has more than {MAX_NETWORK_INPUT:,} values",
                               "input_shape")
        values = np.random.default_rng(seed).integers(0, 5, size=(1, *shape))
        return torch.tensor(values, dtype=dtype or torch.float32)
    try:
        array = np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x)
        ok = array.dtype.kind in "biuf" and array.size and np.isfinite(array).all()
    except (TypeError, ValueError):
        ok = False
    if not ok or array.size > MAX_NETWORK_INPUT:
        raise ConvGifError(f"{NAME} must be an array of finite numbers (at most "
                           f"{MAX_NETWORK_INPUT:,}), shaped as the model takes it", "x")
    return torch.tensor(array, dtype=dtype or torch.float32)


# --------------------------------------------------------------------------- running it


def run_model(model, input_shape=None, x=None, seed: int = 0) -> Network:
    """Run ``model`` once with a forward hook on every leaf module; its Network."""
    import torch

    first = next(iter(model.parameters()), None)
    tensor = model_input(input_shape, x, seed, first.dtype if first is not None else None)
    calls, leaves = [], _leaves(model)
    if not leaves:
        raise ConvGifError(f"{NAME}={type(model).__name__} has no modules to walk", "model")

    pending = {}  # module -> its input and a copy taken before it runs (in-place kinds)

    def before(mod, args):
        inp = args[0] if args else None
        pending[id(mod)] = (inp, inp.detach().clone() if isinstance(inp, torch.Tensor) else None)

    def hook(name):
        def record(mod, args, out):
            inp, inp_value = pending.pop(id(mod))
            if not (isinstance(inp, torch.Tensor) and isinstance(out, torch.Tensor)):
                raise ConvGifError(
                    f"{NAME}: {name} ({type(mod).__name__}) does not take and give one "
                    "tensor; convgif walks modules that do", "model")
            if len(calls) >= MAX_STEPS:
                raise ConvGifError(f"{NAME} calls more than {MAX_STEPS} modules", "model")
            calls.append((name, mod, inp, out, inp_value, out.detach().clone()))
        return record

    handles = [m.register_forward_pre_hook(before) for _, m in leaves]
    handles += [m.register_forward_hook(hook(name)) for name, m in leaves]
    try:
        with torch.no_grad():
            result = model(tensor)
    except ConvGifError:
        raise
    except Exception as error:  # noqa: BLE001 -- the user's model refused the input
        given = "input_shape" if x is None else "x"
        raise ConvGifError(
            f"{type(model).__name__} refused the input {tuple(tensor.shape)} "
            f"({NAME}={shown(input_shape if x is None else tuple(tensor.shape))}): "
            f"{' '.join(str(error).split())[:300]}; give the shape the model takes",
            given) from None
    finally:
        for handle in handles:
            handle.remove()
    if not isinstance(result, torch.Tensor):
        raise ConvGifError(f"{NAME}={type(model).__name__} does not return one tensor",
                           "model")
    return _network(calls, tensor, result, seed)


def _network(calls, tensor, result, seed: int) -> Network:
    """The steps of the recorded calls, each with its source, layer, cost and reach."""
    known = [(INPUT, tensor, tensor.detach().clone(), Reach((1, 1), (1, 1)))]
    steps, seen = [], {}
    for position, (name, module, inp, out, inp_value, out_value) in enumerate(calls, 1):
        seen[name] = seen.get(name, 0) + 1
        shown_name = name if seen[name] == 1 else f"{name} (call {seen[name]})"
        source, reach = source_of(inp, inp_value, known)
        try:
            step = _step(position, shown_name, module, inp_value, out_value, source, reach,
                         seed + position - 1)
        except ConvGifError as error:
            raise in_context(error, f"model: step {position}, {shown_name} "
                             f"({type(module).__name__})", "model") from None
        steps.append(step)
        known.append((f"step {position} ({shown_name})", out, out_value, step.reach))
    output_source, _ = source_of(result, result.detach().clone(), known)
    return Network(tuple(steps), _numpy(tensor), _numpy(result), output_source)


def _numpy(tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy().copy()


def _step(position, name, module, inp, out, source, reach, seed) -> Step:
    from convgif.api import notebook

    kind = type(module).__name__
    layer = notebook.from_torch(module, seed=seed) if notebook.takes(module) else None
    params = sum(p.numel() for p in module.parameters(recurse=False))
    if layer is not None:
        params = layer.param_count
        # a pool compares or averages: it multiplies nothing (``convgif info`` says the same)
        macs = None if layer.spec.pooling else layer.mac_count(tuple(inp.shape[1:]))
        reach = through(layer, reach)
    elif kind == "Linear":
        macs = module.in_features * module.out_features * math.prod(out.shape[1:-1])
        reach = WHOLE
    else:
        macs = None
        reach = reach if _elementwise(module) or kind == "Flatten" else None
    return Step(position, name, kind, layer, _numpy(inp), _numpy(out), int(params), macs,
                source, reach)


def through(layer, reach):
    """The reach of the layer's output cells, from its input's (2-d stack kinds only)."""
    if not isinstance(reach, Reach) or layer.spec.name not in STACK_KINDS:
        return WHOLE if reach == WHOLE else None
    own = analytic([layer])[-1]  # one layer alone: r = 1 + (k-1)·d, j = s
    rf = tuple(reach.rf[a] + (own.rf[a] - 1) * reach.jump[a] for a in range(2))
    return Reach(rf, tuple(reach.jump[a] * own.jump[a] for a in range(2)))


# --------------------------------------------------------------------------- sources


def source_of(tensor, value, known) -> tuple[str, Reach | str | None]:
    """Where an input came from, latest first: an earlier tensor itself (unchanged), its
    values reshaped, the sum of the latest and an earlier one, a relu of one."""
    import torch

    for name, obj, val, reach in reversed(known):
        if obj is tensor and _same(val, value):
            return name, reach
    for name, _obj, val, reach in reversed(known):
        if _same(val, value):
            return name, reach
    for name, _obj, val, reach in reversed(known):
        if val.numel() == value.numel() and torch.equal(val.reshape(-1), value.reshape(-1)):
            return f"{name} (reshaped)", reach
    if len(known) > 1:
        last, _, last_value, last_reach = known[-1]
        for name, _obj, val, reach in reversed(known[:-1]):
            if val.shape == value.shape and torch.equal(last_value + val, value):
                return f"{last} + {name}", _joined(last_reach, reach)
    for name, _obj, val, reach in reversed(known):
        if _same(torch.relu(val), value):
            return f"relu({name})", reach
    return "computed outside modules", None


def _same(a, b) -> bool:
    import torch

    return a.shape == b.shape and a.dtype == b.dtype and bool(torch.equal(a, b))


def _joined(a, b):
    """The reach of a sum of two maps: the larger field, when both step alike."""
    if isinstance(a, Reach) and isinstance(b, Reach) and a.jump == b.jump:
        return Reach(tuple(max(p, q) for p, q in zip(a.rf, b.rf)), a.jump)
    return WHOLE if WHOLE in (a, b) else None


# --------------------------------------------------------------------------- front door


def from_torch(module, seed: int = 0, *, input_shape=None, x=None):
    """A ``torch.nn`` layer as a convgif layer, or a whole model as a ``Network``.

    A single layer of a kind convgif simulates (``Conv2d``, ``MaxPool2d``, ...; see
    ``convgif.api.notebook.from_torch``) is returned as that convgif layer, its weights
    copied, with or without an input. Any other ``nn.Module`` (a ``Sequential``, a
    model class of your own, a ResNet block) is run once, on ``x`` (a batch, as the
    model takes it) or on a batch of one sample of ``input_shape`` (``(C, H, W)``:
    small integers from ``seed``), with forward hooks on its leaf modules; the result
    is a ``Network``: every leaf call in execution order, with the real activation it
    received and produced.
    """
    from convgif.api import notebook

    if notebook.takes(module) or not is_torch_module(module):
        return notebook.from_torch(module, seed=seed)
    if input_shape is None and x is None:
        try:
            notebook.from_torch(module, seed=seed)  # refuses it, naming the kinds it takes
        except ConvGifError as error:
            raise ConvGifError(
                f"{error.template} as one layer; any other module (a model, an activation) "
                f"is run once to record what each layer receives: give {NAME}=(C, H, W) "
                f"(one sample) or {name_of('x')}=<a batch>", "input_shape") from None
    try:
        return run_model(module, input_shape, x, seed)
    except ConvGifError as error:  # run_model's "model" is this function's "module"
        if error.param == "model":
            raise ConvGifError(error.template, "module") from None
        raise


__all__ = ["INPUT", "WHOLE", "Network", "Step", "from_torch", "is_torch_module", "run_model"]
