"""Raises while being imported."""
SCALE = {"k": 1}["missing"]


def add(a, b):
    return a + b
