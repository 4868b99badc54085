"""Built-in layer kinds; importing this package registers them all, in palette order."""

from builder.layers import conv, core, merge, norm, recurrent  # noqa: F401
