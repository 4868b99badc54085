"""The data sets a design can train on: the built-in ones (name -> what it is) and the file kinds."""

from builder.data.loading import BUILTIN_DATA

BUILTIN = {name: make.__doc__.strip().splitlines()[0] for name, make in BUILTIN_DATA.items()}
FILE_TYPES = ("csv", "npz", "images", "text")
