"""The Keras front door: ``Conv1D/2D/3D``, ``Conv1D/2D/3DTranspose`` with Keras' names.

Keras infers the input channels from the first input, so a layer is *built*
when it meets an input (``trace``, ``output_shape``) or an ``input_shape=``
keyword, as in Keras. ``kernel``, ``get_weights()`` and ``set_weights()`` use
Keras' layout (``convgif.api.keras_weights``); ``weight`` is the same kernel in
PyTorch's layout (``(filters, in/groups, *K)``; transposed ``(in, filters, *K)``),
which the simulation reads, as it does every layer's.

``padding='same'`` follows TensorFlow: total padding
``max((ceil(n/s) − 1)·s + D·(K − 1) + 1 − n, 0)``, the smaller half before,
the larger after (asymmetric when the stride is above 1).
"""

from __future__ import annotations

import numpy as np

from convgif.api.keras_weights import KerasKernel
from convgif.api.layer import Layer
from convgif.errors import NAME, ConvGifError, refuse
from convgif.layers.spec import LayerSpec, check_bool, check_choice, check_int, check_tuple

FORMATS = ("channels_last", "channels_first")


def _transposed_pads(padding, output_padding, kernel, stride, dilation):
    """Keras' output length for a transposed layer, as (before, after) crops."""
    pairs = []
    for i, (k, s, d) in enumerate(zip(kernel, stride, dilation)):
        keff = d * (k - 1) + 1
        if output_padding is None:
            if padding == "valid":
                pairs.append((0, min(keff - s, 0)))
            else:
                before = max(keff - s, 0) // 2
                pairs.append((before, keff - s - before))
            continue
        op = output_padding[i]
        if op >= s:
            raise ConvGifError(
                f"{NAME}={tuple(output_padding)} must be smaller than strides={tuple(stride)}",
                "output_padding",
            )
        if padding == "same" and op == 0 and keff % 2 == 0:
            raise _same_even_refused(output_padding, keff)
        pad = keff // 2 if padding == "same" else 0
        # TensorFlow places the window as the forward 'same'/'valid' conv of the output would.
        total = max(2 * pad - op, 0)
        before = total // 2 if padding == "same" else 0
        pairs.append((before, 2 * pad - op - before))
    return tuple(pairs)


def _same_even_refused(output_padding, keff: int) -> ConvGifError:
    # Keras' output length (n - 1)·strides + 0 is one cell short of what the 'same'
    # convolution it transposes needs to give back n: TensorFlow refuses the layer when it
    # runs ("Size of out_backprop doesn't match computed"); Keras on the torch backend
    # returns that short output.
    return ConvGifError(
        f"{NAME}={tuple(output_padding)} with padding='same' and an even effective kernel "
        f"size ({keff}): TensorFlow refuses it when the layer runs (the output "
        "(n - 1)*strides is too short for the 'same' convolution it transposes; Keras on "
        "the torch backend returns it): leave output_padding out (the output is n*strides), "
        "or give output_padding=1 on that axis with strides above 1",
        "output_padding",
    )


def _check_keras_rules(filters: int, groups: int, stride, dilation) -> None:
    if filters % groups:
        raise refuse("groups", groups, f"must divide filters={filters}")
    if max(stride) > 1 and max(dilation) > 1:
        raise ConvGifError(
            f"{NAME}={tuple(stride)} and dilation_rate={tuple(dilation)}: Keras refuses "
            "a stride above 1 together with a dilation rate above 1",
            "strides",
        )


def padding_choice(padding, transposed: bool, nd: int) -> str:
    choices = ("valid", "same", "causal") if nd == 1 and not transposed else ("valid", "same")
    if isinstance(padding, str):
        padding = padding.lower()
    return check_choice("padding", padding, choices)


def keras_pads(padding, transposed, nd, kernel, stride, dilation, output_padding):
    """Keras' ``padding`` as (explicit pads, TensorFlow 'same', output_padding checked)."""
    if transposed:
        out_pad = None
        if output_padding is not None:
            out_pad = check_tuple("output_padding", output_padding, nd, 0)
        return _transposed_pads(padding, out_pad, kernel, stride, dilation), False, out_pad
    if padding == "valid":
        return ((0, 0),) * nd, False, None
    if padding == "causal":
        return tuple((d * (k - 1), 0) for k, d in zip(kernel, dilation)), False, None
    return ((0, 0),) * nd, True, None  # 'same': resolved per input size


def channels_last(data_format) -> bool:
    """``data_format`` checked: True for channels last (Keras' default when it is None)."""
    chosen = "channels_last" if data_format is None else data_format
    return check_choice("data_format", chosen, FORMATS) == "channels_last"


def refuse_others(name: str, others: dict) -> None:
    """A keyword convgif's Keras layers do not take: a ConvGifError naming it, as Keras
    refuses unknown keywords (with a TypeError) and convgif simulates none of its others."""
    if others:
        keyword, value = next(iter(others.items()))
        raise ConvGifError(
            f"{NAME}={value!r}: convgif's {name} takes no {keyword!r}; "
            f"help(convgif.keras.{name}) lists what it takes",
            keyword,
        )


class KerasConv(KerasKernel, Layer):
    ndim = 2
    transposed = False

    def __init__(
        self,
        filters: int,
        kernel_size,
        strides=1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate=1,
        groups: int = 1,
        activation=None,
        use_bias: bool = True,
        *,
        output_padding=None,
        input_shape=None,
        seed: int = 0,
        **others,
    ):
        nd = self.ndim
        name = type(self).__name__
        refuse_others(name, others)
        filters = check_int("filters", filters)
        kernel = check_tuple("kernel_size", kernel_size, nd)
        stride = check_tuple("strides", strides, nd)
        dilation = check_tuple("dilation_rate", dilation_rate, nd)
        groups = check_int("groups", groups)
        _check_keras_rules(filters, groups, stride, dilation)
        padding = padding_choice(padding, self.transposed, nd)
        last = channels_last(data_format)
        # activation: taken out before this runs, as a keyword convgif does not draw (it
        # applies after the convolution): convgif.layers.keywords; it stays in the signature
        # so that Keras' argument order holds
        del activation
        if self.transposed and groups != 1:
            raise ConvGifError(f"{NAME}={groups}: Keras' {name} takes no groups", "groups")
        pads, tf_same, out_pad = keras_pads(
            padding, self.transposed, nd, kernel, stride, dilation, output_padding
        )
        self.padding_given = padding  # valid, same or causal: as Keras writes it
        spec = LayerSpec(
            name=name,
            op="conv_transpose" if self.transposed else "conv",
            ndim=nd,
            in_channels=None,
            out_channels=filters,
            kernel_size=kernel,
            stride=stride,
            padding=pads,
            dilation=dilation,
            groups=groups,
            bias=check_bool("use_bias", use_bias),
            output_padding=out_pad,
            tf_same=tf_same,
            channels_last=last,
            keras=True,
        )
        super().__init__(spec, seed)
        if input_shape is not None:
            self._build(self._channels_of(input_shape, with_batch=False))

    def _channels_of(self, shape, with_batch: bool) -> int:
        nd = self.ndim
        try:
            dims = tuple(shape)
        except TypeError:
            raise refuse("input_shape", shape, "must be a tuple of sizes") from None
        ranks = (nd + 1, nd + 2) if with_batch else (nd + 1,)
        if len(dims) not in ranks:
            raise refuse("input_shape", dims, f"must have {' or '.join(map(str, ranks))} sizes")
        c = dims[-1] if self.spec.channels_last else dims[-nd - 1]
        return check_int("input channels", c)

    def _build(self, channels: int) -> None:
        if self.spec.in_channels == channels:
            return
        if channels % self.spec.groups:
            raise refuse("groups", self.spec.groups, f"must divide the input channels={channels}")
        self.spec = self.spec._replace(in_channels=channels)
        self._init_parameters()

    def built_for(self, input_shape) -> KerasConv:
        """This layer, built for inputs of ``input_shape`` (Keras builds on first call)."""
        self._build(self._channels_of(input_shape, with_batch=True))
        return self

    def split_shape(self, input_shape):
        if self.spec.in_channels is None:
            self.built_for(input_shape)
        return super().split_shape(input_shape)

    def trace(self, x, *, out_channels=None):
        if self.spec.in_channels is None:
            self.built_for(np.shape(x))
        return super().trace(x, out_channels=out_channels)


class Conv1D(KerasConv):
    ndim = 1


class Conv2D(KerasConv):
    ndim = 2


class Conv3D(KerasConv):
    ndim = 3


class KerasConvTranspose(KerasConv):
    transposed = True

    def __init__(
        self,
        filters: int,
        kernel_size,
        strides=1,
        padding: str = "valid",
        output_padding=None,
        data_format: str | None = None,
        dilation_rate=1,
        activation=None,
        use_bias: bool = True,
        *,
        input_shape=None,
        seed: int = 0,
        **others,
    ):
        refuse_others(type(self).__name__, others)
        super().__init__(
            filters,
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            1,
            activation,
            use_bias,
            output_padding=output_padding,
            input_shape=input_shape,
            seed=seed,
        )


class Conv1DTranspose(KerasConvTranspose):
    ndim = 1


class Conv2DTranspose(KerasConvTranspose):
    ndim = 2


class Conv3DTranspose(KerasConvTranspose):
    ndim = 3

    # Keras' own order: data_format comes before output_padding here
    def __init__(
        self,
        filters: int,
        kernel_size,
        strides=1,
        padding: str = "valid",
        data_format: str | None = None,
        output_padding=None,
        dilation_rate=1,
        activation=None,
        use_bias: bool = True,
        *,
        input_shape=None,
        seed: int = 0,
        **others,
    ):
        super().__init__(
            filters, kernel_size, strides, padding, output_padding, data_format,
            dilation_rate, activation, use_bias, input_shape=input_shape, seed=seed, **others,
        )
