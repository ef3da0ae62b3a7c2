"""The checks' shared helpers: assert_close says which entries disagree and names the mistake."""
from __future__ import annotations

import numpy as np
import pytest

from grader.checks.helpers import Feedback, assert_close


def test_disagreeing_entries_and_the_matching_mistake_are_named():
    want = np.array([1.0, 2.0, 3.0])
    with pytest.raises(Feedback) as info:
        assert_close(want / 3, want, "the gradient", diagnose=[("summed twice", want * 2), ("averaged", want / 3)])
    text = str(info.value)
    assert "the gradient: 3 of 3 entries disagree" in text
    assert "at 1: got 0.666667, expected 2" in text
    assert "Likely mistake: averaged." in text and "summed twice" not in text


def test_mistakes_that_coincide_on_this_input_are_all_named():
    want = np.array([0.5, -1.0])
    halved = want / 2  # with N = 2, averaging over the batch and dropping a factor 2 agree
    with pytest.raises(Feedback) as info:
        assert_close(halved, want, "grad", diagnose=[("averaged over the batch", halved), ("forgot the 2", halved)])
    assert "Likely mistake: averaged over the batch; or else: forgot the 2." in str(info.value)


def test_close_values_pass_and_a_wrong_shape_is_reported_before_values():
    assert_close(np.array([1.0, 2.0]) + 1e-9, np.array([1.0, 2.0]), "x")
    with pytest.raises(Feedback) as info:
        assert_close(np.zeros((2, 1)), np.zeros(2), "x")
    assert "shape" in str(info.value)
