"""Keras' pools: ``MaxPooling1D/2D/3D``, ``AveragePooling1D/2D/3D``, ``GlobalAveragePooling2D``.

``strides=None`` is ``pool_size``. ``padding='same'`` is TensorFlow's (the
smaller half of the total before, the larger after) and pools over real cells
only: a max never takes the padding, an average divides by the real cells it
covers (torch's ``count_include_pad=False``). ``GlobalAveragePooling2D`` is one
window over the whole input: an adaptive average pool to one cell per channel.
Layouts follow ``data_format`` (channels last by default), as in ``convgif.api.keras``.
"""

from __future__ import annotations

from convgif.api.keras import channels_last, refuse_others
from convgif.api.layer import Layer
from convgif.api.pools import adaptive_spec
from convgif.layers.spec import LayerSpec, check_bool, check_choice, check_tuple


class _KerasPool(Layer):
    ndim = 2
    op = "max_pool"

    def __init__(self, pool_size=2, strides=None, padding: str = "valid", data_format=None,
                 name=None, *, seed: int = 0, **others):
        del name  # Keras' label for the layer: nothing it computes
        nd, kind = self.ndim, type(self).__name__
        refuse_others(kind, others)
        kernel = check_tuple("pool_size", pool_size, nd)
        stride = kernel if strides is None else check_tuple("strides", strides, nd)
        if isinstance(padding, str):
            padding = padding.lower()
        padding = check_choice("padding", padding, ("valid", "same"))
        self.padding_given = padding
        spec = LayerSpec(
            name=kind,
            op=self.op,
            ndim=nd,
            in_channels=None,
            out_channels=None,
            kernel_size=kernel,
            stride=stride,
            padding=((0, 0),) * nd,
            dilation=(1,) * nd,
            tf_same=padding == "same",
            count_include_pad=False,  # 'same' averages over the real cells only
            channels_last=channels_last(data_format),
            keras=True,
        )
        super().__init__(spec, seed)


class MaxPooling1D(_KerasPool):
    ndim = 1


class MaxPooling2D(_KerasPool):
    ndim = 2


class MaxPooling3D(_KerasPool):
    ndim = 3


class AveragePooling1D(_KerasPool):
    ndim, op = 1, "avg_pool"


class AveragePooling2D(_KerasPool):
    ndim, op = 2, "avg_pool"


class AveragePooling3D(_KerasPool):
    ndim, op = 3, "avg_pool"


class GlobalAveragePooling2D(Layer):
    """The average of each channel's whole input: (N, C), or (N, 1, 1, C) with keepdims."""

    def __init__(self, data_format=None, keepdims: bool = False, name=None, *, seed: int = 0,
                 **others):
        del name
        refuse_others(type(self).__name__, others)
        spec = adaptive_spec(
            type(self).__name__,
            "avg_pool",
            2,
            1,
            channels_last=channels_last(data_format),
            keepdims=check_bool("keepdims", keepdims),
            keras=True,
        )
        super().__init__(spec, seed)
