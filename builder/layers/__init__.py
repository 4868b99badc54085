"""Built-in layer kinds; importing this package registers them all, in palette order."""

from builder.layers import (  # noqa: F401
    attention,
    conv,
    core,
    merge,
    norm,
    recurrent,
    sequence_conv,
)
