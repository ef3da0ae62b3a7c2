"""grader.mistakes and grader.fingerprint: known mistakes named from data, and only on evidence."""
import numpy as np
import torch

from grader import mistakes
from grader.fingerprint import agree, error, fingerprint
from grader.results import CheckResult

RNG = np.random.default_rng(3)
A, B, C = (RNG.standard_normal((4, 5)) for _ in range(3))


def fp(x):
    return fingerprint(x)


def check(name, outcome, *values, message="out: 3 of 20 entries disagree"):
    return CheckResult(name, outcome, 1.0, "" if outcome == "passed" else message, trace=tuple(fp(v) for v in values))


# The reference returns A in check "one" and B, B in "two"; the mutant returns C there instead.
LIBRARY = mistakes.Library(reference={"one": [fp(A)], "two": [fp(B), fp(B)], "three": [fp(A)]},
                           mistakes=(mistakes.Mistake("sum_not_mean", "summed where a mean belonged",
                                                      {"one": [fp(A)], "two": [fp(C), fp(C)], "three": [fp(A)]}),))


def test_fingerprints_agree_across_float_widths_and_orders_not_across_values():
    assert agree(fp(A), fp(A.astype(np.float32)))
    assert agree(fp(torch.tensor(A)), fp(A)) and agree(fp(A.sum()), fp(float(A.sum())))
    assert not agree(fp(A), fp(A * 1.01)) and not agree(fp(A), fp(A.T.copy()))
    assert not agree(fp(A), fp(A[:, ::-1].copy()))  # same sum and norm, other entries
    assert agree(fp(["don't", "split"]), fp(["don't", "split"])) and not agree(fp(["a"]), fp(["b"]))
    assert agree(error("ValueError"), error("ValueError")) and not agree(error("ValueError"), fp(None))


def test_a_learner_who_returns_a_mutants_results_is_told_its_mistake_once():
    checks = [check("one", "passed", A), check("two", "failed", C, C), check("three", "passed", A)]
    named = LIBRARY.named(checks)
    assert named[1].message.endswith(f"{mistakes.TOLD} summed where a mean belonged.")
    assert named[0].message == "" and named[2] == checks[2]


def test_one_call_of_evidence_names_nothing():
    checks = [check("one", "passed", A), check("two", "failed", C)]  # the check stopped after one call
    assert LIBRARY.named(checks) == checks


def test_a_call_that_contradicts_the_mutant_names_nothing():
    checks = [check("one", "failed", B), check("two", "failed", C, C)]  # "one" is wrong another way
    assert [c.message for c in LIBRARY.named(checks)] == [c.message for c in checks]


def test_a_check_that_named_a_mistake_of_its_own_keeps_it():
    own = "out differs\nLikely mistake: the bias is missing."
    checks = [check("two", "failed", C, C, message=own)]
    assert LIBRARY.named(checks)[0].message == own


def test_the_library_round_trips_through_its_file_and_says_when_it_is_stale(tmp_path):
    module = tmp_path / "test_x.py"
    module.write_text("")
    mutant = tmp_path / "sum_not_mean.py"
    mutant.write_text('"""Wrong on purpose: summed where a mean belonged.\n\nexpect: mean\n"""\n')
    reference = [check("one", "passed", A)]
    mutants = {mutant: [check("one", "failed", C)]}
    mistakes.path_for(module).write_text(__import__("json").dumps(mistakes.build(reference, mutants)))
    stored = mistakes.load(module)
    assert stored.mistakes[0].description == "summed where a mean belonged"
    assert mistakes.stale(stored, reference, mutants) == []
    assert mistakes.stale(stored, [check("one", "passed", B)], mutants) == ["the reference now returns other results"]
    assert "not in it: other" in mistakes.stale(stored, reference, {**mutants, tmp_path / "other.py": []})[0]
    assert mistakes.load(tmp_path / "test_missing.py") is None


def test_overflowed_results_agree_with_themselves():
    huge = np.array([1e200, -3e200, 2.0])  # its sum of squares is inf
    assert agree(fp(huge), fp(huge.copy())) and not agree(fp(huge), fp(huge * 2))
