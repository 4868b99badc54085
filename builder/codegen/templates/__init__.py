"""The training loops of train.py, kept as real Python files that linters and readers can follow.

`builder.codegen.training_source` writes a header (imports, the design's settings, the data
functions, its loss, optimizer and schedule) and then copies, after each file's marker line,
`common.py` and the task's loop (`supervised.py` or `gan.py`). Names the header defines are
used here unbound.
"""
