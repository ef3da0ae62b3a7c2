"""grader.explain: the errors beginners meet, read in their own shapes and axes."""
import numpy as np
import pytest
import torch

from grader.explain import explain


def message(fn) -> str:
    with pytest.raises(Exception) as raised:
        fn()
    return str(raised.value)


@pytest.mark.parametrize("fn, phrases", [
    (lambda: np.ones((6, 3)) - np.ones(6), ["(6, 3) and (6,)", "3 against 6", "matches axis 0", "[:, None]"]),
    (lambda: torch.ones(4) + torch.ones(16), ["lengths 4 and 16", "16 = 4 x 4"]),
    (lambda: torch.ones(4, 3) @ torch.ones(4, 5), ["(4 x 3) @ (4 x 5)", "3 and 4", "transposed"]),
    (lambda: np.ones((4, 3)) @ np.ones((4, 5)), ["inner lengths differ", ".T"]),
    (lambda: torch.ones(30).view(2, 3, 4), ["needs 24 entries", "has 30"]),
    (lambda: np.ones(30).reshape(2, 3, 4), ["needs 24 entries", "has 30"]),
    (lambda: torch.ones(1, 1, 3, 3).unfold(2, 5, 1), ["windows of 5 along dimension 2", "only 3", "pad"]),
    (lambda: torch.ones(2, 3).sum(dim=2), ["2 axes", "axis 2 was asked for"]),
    (lambda: np.ones((2, 3)).sum(axis=2), ["2 axes", "axis 2 was asked for"]),
    (lambda: np.ones((2, 5))[:, 5], ["index 5", "axis 1", "one past the end"]),
    (lambda: torch.ones(2, 3).t().view(6), [".reshape"]),
    (lambda: torch.ones(2, 3, dtype=torch.float64) @ torch.ones(3, 2), ["dtype"]),
    (lambda: torch.ones(3).item(), ["several entries", ".sum()"]),
])
def test_common_errors_are_read_in_their_numbers(fn, phrases):
    reading = explain(message(fn))
    assert reading is not None
    for phrase in phrases:
        assert phrase in reading, reading


def test_an_unknown_message_is_left_alone():
    assert explain("something else went wrong") is None
    assert explain("") is None


def test_a_reading_names_a_cause_only_where_the_numbers_show_it():
    reading = explain(message(lambda: torch.ones(3) + torch.ones(5)))
    assert "lengths 3 and 5" in reading and "flattened" not in reading
