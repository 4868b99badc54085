"""Training recipes: tasks, losses, optimizers and schedules, one declaration each.

Each declaration holds its runtime object (the torch class or function) and the source that the
generated train.py runs, side by side, so what a design names is built one way only.
"""
