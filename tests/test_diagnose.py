"""grader.checks.diagnose: each structural mistake is named only when a replay reproduces it."""
import numpy as np
import pytest

from grader.checks.diagnose import scalar_for_array, shape_finding, value_finding
from grader.checks.helpers import Feedback, assert_close, check_array

RNG = np.random.default_rng(0)
X = RNG.standard_normal((6, 4))          # a batch of 6 samples, 4 features
DZ = RNG.standard_normal((5, 3))


def values(got, want, **kw):
    return value_finding(np.asarray(got, float), np.asarray(want, float), **kw)


def shapes(got, want, **kw):
    got, want = np.asarray(got, float), np.asarray(want, float)
    return shape_finding(got.shape, want.shape, got, want, **kw)


# --- same shape ---------------------------------------------------------------------------------

@pytest.mark.parametrize("factor, phrase", [(-1, "wrong sign"), (2, "twice"), (0.5, "half"),
                                            (-2, "-2 times"), (6, "6 times the expected, 6 being"),
                                            (1 / 6, "1/6 of the expected")])
def test_ratios_are_named(factor, phrase):
    found = values(X * factor, X)
    assert found.named and phrase in found.text


def test_ratio_of_a_count_that_is_no_axis_uses_sizes():
    grad = RNG.standard_normal((4, 3))
    found = values(grad * 32, grad, sizes={"the batch size N": 32})
    assert found.named and "the batch size N" in found.text and "divide by 32" in found.text


def test_other_constant_factor_is_only_observed():
    found = values(X * 1.37, X)
    assert not found.named and "1.37 times" in found.text


def test_transpose_of_a_square_matrix():
    a = RNG.standard_normal((4, 4))
    found = values(a.T, a)
    assert found.named and "transposed" in found.text


def test_shift_by_one_step():
    seq = RNG.standard_normal((5, 2, 3))
    shifted = np.concatenate([np.zeros((1, 2, 3)), seq[:-1]])
    found = values(shifted, seq)
    assert found.named and "shifted by one step along axis 0" in found.text and "t - 1" in found.text


def test_last_step_never_computed():
    seq = RNG.standard_normal((5, 2, 3))
    short = seq.copy()
    short[-1] = 0
    found = values(short, seq)
    assert found.named and "range(5 - 1)" in found.text


def test_one_wrong_row_is_only_observed():
    wrong = X.copy()
    wrong[2] += 1.0
    found = values(wrong, X)
    assert not found.named and "index 2 of axis 0" in found.text


def test_offset_along_an_axis_is_observed():
    bias = RNG.standard_normal(6)
    found = values(X + bias[:, None] * 0 + bias[:, None], X)     # a bias along the batch axis
    assert not found.named and "shares an index along axis 0" in found.text


def test_constant_offset_is_observed():
    found = values(X + 0.25, X)
    assert not found.named and "same constant, 0.25" in found.text


def test_all_zeros():
    found = values(np.zeros_like(X), X)
    assert not found.named and "every entry is 0" in found.text


def test_unrelated_values_get_no_finding():
    assert values(RNG.standard_normal((6, 4)), X) is None


def test_a_match_is_no_finding_source_for_non_finite_values():
    wrong = X.copy()
    wrong[0, 0] = np.nan
    assert values(wrong, X) is None


# --- shapes -------------------------------------------------------------------------------------

def test_summed_over_every_axis():
    db = DZ.sum(axis=0)
    found = shapes(DZ.sum(), db)
    assert found.named and "summed over every axis" in found.text and "(3,)" in found.text


def test_scalar_without_values_is_observed():
    found = shape_finding((), (3,))
    assert not found.named and "reduced to a single value over every axis" in found.text


def test_reduced_over_an_axis_that_should_be_kept():
    found = shapes(X.sum(axis=1), X)
    assert found.named and "summed over axis 1" in found.text


def test_axis_left_unreduced():
    found = shapes(DZ, DZ.sum(axis=0))
    assert found.named and "axis 0 (length 5) is still there" in found.text


def test_keepdims_is_observed():
    found = shape_finding((1, 3), (3,))
    assert not found.named and "extra axis of length 1" in found.text


def test_transposed_shape():
    found = shapes(X.T, X)
    assert found.named and "axes in the order (1, 0)" in found.text


def test_last_step_missing():
    seq = RNG.standard_normal((5, 2, 3))
    found = shapes(seq[:-1], seq)
    assert found.named and "last step along axis 0" in found.text and "range(5 - 1)" in found.text


def test_extra_initial_state():
    seq = RNG.standard_normal((5, 2, 3))
    found = shapes(np.concatenate([np.zeros((1, 2, 3)), seq]), seq)
    assert found.named and "too many at the start" in found.text


def test_other_lengths_are_observed():
    found = shape_finding((2, 3, 2, 2), (2, 3, 4, 4))
    assert not found.named and "axes 2, 3 have lengths (2, 2), expected (4, 4)" in found.text


def test_scalar_for_array():
    assert "sum(axis=0)" in scalar_for_array(np.float32(1.0), (3,)).text


# --- wired into the helpers' failure paths ---------------------------------------------------

def test_assert_close_names_a_replayed_mistake_before_the_hint():
    with pytest.raises(Feedback) as info:
        assert_close(-X, X, "grad", hint="look at the formula")
    text = str(info.value)
    assert "Likely mistake: every entry has the wrong sign" in text and "look at the formula" not in text


def test_assert_close_keeps_the_hint_after_an_observation():
    with pytest.raises(Feedback) as info:
        assert_close(X * 1.37, X, "y", hint="look at the formula")
    text = str(info.value)
    assert "What the numbers show: every entry is 1.37 times" in text and "Hint: look at the formula" in text


def test_assert_close_explicit_diagnosis_wins():
    with pytest.raises(Feedback) as info:
        assert_close(-X, X, "grad", diagnose=[("gradient ascent", -X)])
    assert "Likely mistake: gradient ascent." in str(info.value)


def test_assert_close_names_a_candidate_of_the_wrong_shape():
    with pytest.raises(Feedback) as info:
        assert_close(X[:2, :2], X, "pool", diagnose=[("reduced over the window positions", X[:2, :2])])
    assert "has shape (2, 2), expected (6, 4). Likely mistake: reduced over the window positions" in str(info.value)


def test_check_array_scalar_where_array_expected():
    with pytest.raises(Feedback) as info:
        check_array(np.float32(2.0), "db", shape=(3,))
    assert "should be an np.ndarray" in str(info.value) and "reduced to a single value" in str(info.value)


# --- honest or silent ---------------------------------------------------------------------------

@pytest.mark.parametrize("got, want", [(0.9497 * 2.0, 2.0), ([2.0, 4.0], [1.0, 2.0]), ([2.0, 0.0], [1.0, 0.0]),
                                       (0.0, 0.7)])
def test_too_few_values_show_no_pattern(got, want):
    """Any two numbers have a ratio: one or two expected values name nothing."""
    assert values(got, want) is None
    with pytest.raises(Feedback) as failed:
        assert_close(np.asarray(got, float), np.asarray(want, float), "loss")
    assert "Likely mistake" not in str(failed.value) and "What the numbers show" not in str(failed.value)


def test_a_ratio_over_enough_values_is_still_named():
    found = values([2.0, 4.0, 6.0], [1.0, 2.0, 3.0])
    assert found.named and "twice" in found.text


def test_zeros_are_told_as_observed_never_as_a_cause():
    found = values(np.zeros_like(X), X)
    assert not found.named and "every entry is 0" in found.text and "never" not in found.text


# --- axes merged or split by a reshape ----------------------------------------------------------

W = RNG.standard_normal((5, 3, 6))


def test_two_axes_merged_by_a_reshape_are_named_when_replayed():
    found = shapes(W.reshape(15, 6), W)
    assert found.named and "axes 0 and 1 (lengths 5 and 3)" in found.text and "merged" in found.text


def test_axes_merged_before_they_were_put_in_order_are_told_apart():
    found = shapes(W.swapaxes(0, 1).reshape(15, 6), W)
    assert found.named and "wrong order" in found.text and "transpose" in found.text


def test_a_merge_without_values_is_observed_and_a_split_too():
    assert not shape_finding((15, 6), (5, 3, 6)).named
    found = shape_finding((5, 3, 2, 3), (5, 3, 6))
    assert not found.named and "split into two" in found.text
    with pytest.raises(Feedback) as failed:
        check_array(W.reshape(15, 6), "attention(q, k, v)", shape=(5, 3, 6))
    assert "merged into one axis of length 15" in str(failed.value)


def test_a_ratio_of_the_checks_own_quantities_is_named_even_for_one_number():
    sizes = {"the number of images": 13, "the number of batches": 3}
    found = values(10 / 3, 10 / 13, sizes=sizes)
    assert found.named and "13/3 times the expected" in found.text and "division by the number of batches" in found.text
    assert values(0.5, 0.7, sizes=sizes) is None
    assert values(10 / 3, 10 / 13, sizes={"the number of images": 13}) is None  # one quantity: no ratio of two
