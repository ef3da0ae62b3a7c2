"""kata: auto-graded katas for deep-learning fundamentals."""
__version__ = "0.2.0"


def load_ipython_extension(ipython):
    """`%load_ext grader` adds the `%kata` magic (grader/notebook.py); nothing heavy is imported."""
    from .notebook import load_ipython_extension as load
    load(ipython)
