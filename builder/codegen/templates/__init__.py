"""The training loops of train.py, kept as real Python files that linters and readers can follow.

`builder.codegen.training_source` writes a header (imports, the design's settings, the data
functions, its loss, optimizer and schedule) and then copies, after each file's marker line,
`common.py`; for one model `one_model.py` (its setup and epoch of steps), `health.py` and
`lr_finder.py`; and the task's loop (`supervised.py`, `language_model.py` or `gan.py`). Names
the header defines are used here unbound.
"""
