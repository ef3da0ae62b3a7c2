"""The rnn stub gives the special tokens' names complete; they must match the solution's."""
from __future__ import annotations

from pathlib import Path

from .conftest import load

ROOT = Path(__file__).resolve().parents[1]


def test_special_tokens():
    for folder in ("exercises", "solutions"):
        module = load(ROOT / folder / "05_modules" / "rnn.py")
        assert (module.PAD, module.UNK) == ("<pad>", "<unk>")
