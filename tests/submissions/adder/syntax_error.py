"""Forgets a colon."""


def add(a, b)
    return a + b
