"""Submissions written to cheat the course's own checks earn only what they honestly compute.

Each file under tests/submissions/<exercise>/ reaches a forbidden operation by a route a text scan
cannot see (a re-export, getattr of a built name, eval, __import__, torch.ops, functorch, autograd
from a string, a detection module's nms, torch imported under a built name), or returns a result
built to agree with any comparison (a list whose __eq__ is always true, a Tensor subclass whose
__torch_function__ answers with the library's result, an object faking __class__ whose __array__
reads the expected value out of the caller's frames, losses that look for the expected value in
their callers' frames). Before the tripwire, plain() and oracles computed after the call, these
scored 21/21, 20/20, 31/31, 53/100, 62/62, 30/30, 24/24, 12/24 and 10/41.

Graded through the public API (grade_pairs), so the table holds whatever the runner becomes.
"""
from __future__ import annotations

import pytest

from grader import api
from grader.courses import default as default_course

from .conftest import SUBMISSIONS

COURSE = default_course()
MAX_SCORE = {"conv2d": 21, "conv2d_backward": 20, "pooling": 31, "rnn": 100, "modules": 62,
             "boxes": 30, "feed_forward": 24, "losses": 41}
FORBIDDEN = "this exercise must be written without"
CASES = {
    # (exercise, name): (status, min score, max score, phrase in the exercise or check messages)
    ("conv2d", "reexported_module"): ("failed", 0, 0, "uses torch.nn.modules.Conv2d (line 3)"),
    # Refused where it runs: the operator the dispatcher was asked for, at the learner's line.
    ("conv2d", "getattr_built_name"): ("failed", 0, 0, "torch.ops.aten.conv2d (line 6)"),
    ("conv2d", "eval_of_a_string"): ("failed", 0, 0, "torch.ops.aten.conv2d (line 7)"),
    ("conv2d", "import_dict"): ("failed", 0, 0, "torch.ops.aten.conv2d (line 5)"),
    ("conv2d", "aten_operator"): ("failed", 0, 0, "uses torch.ops.aten.convolution (line 7)"),
    ("conv2d_backward", "functorch_vjp"): ("failed", 0, 0, "functorch.vjp (line 14)"),
    ("conv2d_backward", "backward_through_eval"): ("failed", 0, 0, "Tensor.backward (gradients by autograd) (line 16)"),
    ("boxes", "detection_reexport_nms"): ("failed", 0, 0,
                                          "torchvision.models.detection.roi_heads.box_ops.nms (line 40)"),
    # A forbidden operation costs every check that reached it: Linear's forward and whatever uses
    # it; checks of what the file computes itself (registering parameters, ReLU) keep their points.
    ("modules", "linear_by_built_name"): ("failed", 1, 40, "uses torch.ops.aten.linear (line 17)"),
    ("feed_forward", "torch_by_import"): ("failed", 0, 0, "as_tensor (line 12)"),
    # A tensor subclass stays in the learner's process: what comes back is a handle, not a tensor.
    ("pooling", "hooked_tensor_subclass"): ("failed", 0, 0, "returned a Agreeable where a torch.Tensor was expected"),
    ("rnn", "always_equal_results"): ("failed", 0, 0, "returned a Agrees where a list of str was expected"),
    ("feed_forward", "fakes_its_class"): ("failed", 0, 0,
                                          "returned a Claims where an np.ndarray was expected"),
    ("losses", "reads_callers_frames"): ("failed", 8, 8, "is 0, expected"),
}


@pytest.mark.parametrize("exercise,name", sorted(CASES))
def test_hostile_submission_earns_only_what_it_computes(exercise, name):
    status, low, high, phrase = CASES[exercise, name]
    spec = COURSE.manifest.get(exercise)
    path = SUBMISSIONS / exercise / f"{name}.py"
    (graded,) = api.grade_pairs([(spec, path, f"exercises/{spec.relpath}")], course=COURSE)
    details = (graded.message, [(c.name, c.outcome, c.points, c.message[:200]) for c in graded.checks])
    assert graded.status == status, details
    assert low <= graded.score <= high, details
    assert graded.max_score == MAX_SCORE[exercise], details
    messages = graded.message + "\n".join(c.message for c in graded.checks)
    assert phrase in messages, details
    if phrase.startswith("uses ") or "(line" in phrase:
        assert FORBIDDEN in messages.lower(), details
