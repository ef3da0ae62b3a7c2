"""grader.checks.localise: where a failing answer turns wrong, found one parameter at a time."""
import pytest

from grader.checks.helpers import Feedback
from grader.checks.localise import Variation, localised, search

VARIATION = Variation(simplest=dict(batch=1, stride=1, padding=0),
                      steps=dict(batch=(2,), stride=(2,), padding=(1, 2)),
                      advice=dict(padding="look at how you pad"))


def test_the_parameter_that_turns_the_answer_wrong_is_named_with_its_advice():
    line = search(VARIATION, lambda case: case["padding"] == 0)
    assert "right with padding=0, wrong with padding=1: look at how you pad" in line
    assert "stride" not in line and "batch" not in line


def test_wrong_in_the_simplest_case_says_so_and_nothing_found_says_nothing():
    assert "simplest case" in search(VARIATION, lambda case: False)
    assert search(VARIATION, lambda case: True) is None  # wrong only in combination: no guess


def test_an_error_on_a_case_counts_as_wrong_there_but_a_stub_propagates():
    def right(case):
        if case["stride"] == 2:
            raise ValueError("boom")
        return True
    assert "wrong with stride=2" in search(VARIATION, right)
    with pytest.raises(NotImplementedError):
        search(VARIATION, lambda case: (_ for _ in ()).throw(NotImplementedError()))


def test_localised_adds_the_line_to_a_failing_check_only():
    with pytest.raises(Feedback) as failed:
        with localised(VARIATION, lambda case: case["batch"] == 1, case=dict(batch=2, stride=2, padding=1)):
            raise Feedback("out: 3 of 8 entries disagree")
    assert str(failed.value).startswith("out: 3 of 8") and "wrong with batch=2" in str(failed.value)
    with pytest.raises(Feedback) as failed:  # the failing case is the simplest: nothing to add
        with localised(VARIATION, lambda case: False, case=VARIATION.simplest):
            raise Feedback("out differs")
    assert str(failed.value) == "out differs"
    with localised(VARIATION, lambda case: False):
        pass  # no failure, no search
