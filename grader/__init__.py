"""kata: auto-graded katas for deep-learning fundamentals."""
__version__ = "0.1.0"
