"""Loss curves: recorded by a check, carried by the result model, drawn by the reports.

The data come from the learner's code, so every step that receives them is tested with
malformed and hostile values: they are bounded or dropped, never an error.
"""
from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import torch

from grader import events as ev
from grader import plugin, runner
from grader.checks import helpers
from grader.render import common, render
from grader.render.pages import curve_svg
from grader.results import (MAX_CURVE_POINTS, MAX_CURVES, MAX_LABEL, CheckResult, ExerciseResult,
                            GradeReport, clean_curves)

BOX = common.Box(left=10, top=20, width=100, height=50)


# --- the result model ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw, want", [
    (None, ()), ("yours", ()), ({"yours": [1.0]}, ()), ([("yours", 1.0)], ()),
    ([["yours", "1 2 3"]], ()), ([[1, [1.0]]], ()), ([["", [1.0]]], ()), ([["yours"]], ()),
    ([["yours", [[1.0, 2.0]]]], ()), ([["yours", [float("nan"), float("inf")]]], ()),
    ([["yours", [1.0, "x", None, True, float("nan"), -float("inf"), 2, 10**400, 0.5]]],
     (("yours", (1.0, 2.0, 0.5)),)),
    ([["  two\nwords ", (3, 2)], "junk", ["ok", [1.23456789]]], (("two words", (3.0, 2.0)), ("ok", (1.23457,)))),
])
def test_clean_curves_keeps_only_labelled_finite_numbers(raw, want):
    assert clean_curves(raw) == want


def test_clean_curves_bounds_everything():
    many = [[f"s{i}", [1.0]] for i in range(10)]
    assert [label for label, _ in clean_curves(many)] == [f"s{i}" for i in range(MAX_CURVES)]
    ((label, values),) = clean_curves([["x" * 10_000, list(range(100_000))]])
    assert len(label) == MAX_LABEL and len(values) == MAX_CURVE_POINTS
    assert values[0] == 0 and values[-1] == 99_999 and list(values) == sorted(values)


def test_a_check_with_curves_round_trips_through_json():
    check = CheckResult("train", "passed", 2, curves=(("yours", (2.5, 1.0, 0.25)), ("reference", (2.5, 0.9))))
    report = GradeReport((ExerciseResult("x", "X", "x.py", checks=(check, CheckResult("plain", "passed"))),))
    data = json.loads(report.to_json())
    checks = data["exercises"][0]["checks"]
    assert checks[0]["curves"] == [["yours", [2.5, 1.0, 0.25]], ["reference", [2.5, 0.9]]]
    assert "curves" not in checks[1]  # written only when there is one
    again = GradeReport.from_dict(data)
    assert again == report and again.to_dict() == data


def test_results_without_curves_still_load_and_bad_ones_are_ignored():
    old = {"name": "c", "outcome": "passed", "points": 1.0, "max_points": 1.0, "message": "", "duration_s": 0.0}
    assert CheckResult.from_dict(old).curves == ()
    assert CheckResult.from_dict({**old, "curves": "garbage"}) == CheckResult("c", "passed")


# --- the check side: record_curve, and what the plugin sends ------------------------------------

@pytest.fixture
def sink():
    helpers.take_curves()
    yield
    helpers.take_curves()


class Hostile:
    def __float__(self):
        raise RuntimeError("no")


class BadList(list):
    def __iter__(self):
        raise RuntimeError("no")


def test_record_curve_accepts_what_training_code_returns(sink):
    helpers.record_curve("list", [3, 2.5, np.float32(2.0), torch.tensor(1.5), np.array(1.0)])
    helpers.record_curve("tensor", torch.tensor([[2.0, 1.0]]))
    helpers.record_curve("array", np.array([4.0, float("nan"), 3.0]))
    assert helpers.take_curves() == [("list", (3.0, 2.5, 2.0, 1.5, 1.0)), ("tensor", (2.0, 1.0)),
                                     ("array", (4.0, 3.0))]
    assert helpers.take_curves() == []


def test_record_curve_never_fails_the_check(sink):
    helpers.record_curve("hostile entries", [1.0, Hostile(), "x", None, 0.5])
    helpers.record_curve("hostile list", BadList([1.0, 2.0]))
    helpers.record_curve("generator", (x for x in [1.0]))
    helpers.record_curve("nothing", [float("nan")])
    assert helpers.take_curves() == [("hostile entries", (1.0, 0.5))]
    for i in range(10):
        helpers.record_curve(f"s{i}", [1.0])
    assert len(helpers.take_curves()) == MAX_CURVES


def test_record_curve_thins_a_long_curve(sink):
    helpers.record_curve("huge", list(range(1_000_000)))
    ((_, values),) = helpers.take_curves()
    assert len(values) == MAX_CURVE_POINTS and values[0] == 0 and values[-1] == 999_999


def test_the_plugin_sends_only_clean_curves_whatever_the_submission_appended(sink):
    helpers.record_curve("yours", [2.0, 1.0])
    helpers._curves.extend([object(), ("evil", ("a", None)), ("z" * 500, tuple(range(5000)))])
    sent = plugin._curves_of_check()
    assert sent[0] == ["yours", [2.0, 1.0]]
    assert [len(label) for label, _ in sent[1:]] == [MAX_LABEL]
    assert len(sent[1][1]) == MAX_CURVE_POINTS and helpers.take_curves() == []
    json.dumps(sent)  # plain data, ready for the pipe


# --- the parent: events decoded, then runner._apply ---------------------------------------------

def _applied(curves) -> CheckResult:
    fold, run = runner.Fold(), runner._Run()
    for event in (ev.Collected((ev.CheckInfo("c", 2.0),)), ev.Loading(), ev.Loaded(), ev.Start("c")):
        runner._apply(event, run, fold)
    line = json.dumps({"type": "outcome", "name": "c", "outcome": "passed", "curves": curves}, default=str)
    try:
        outcome = ev.from_json(line)
    except ev.EventError:  # refused whole: the check never reported
        return None
    runner._apply(outcome, run, fold)
    return fold.checks["c"]


@pytest.mark.parametrize("curves", ["yours", 42, {"yours": [1.0]}])
def test_curves_that_are_not_a_list_make_the_event_malformed(curves):
    assert _applied(curves) is None


@pytest.mark.parametrize("curves", [[], [["yours", "1"]], [[None, [1.0]]], [["yours", [float("nan")]]],
                                    [["yours", ["object"]]], [["x"]]])
def test_malformed_curves_from_the_child_are_ignored(curves):
    check = _applied(curves)
    assert (check.outcome, check.points, check.curves) == ("passed", 2, ())


def test_curves_from_the_child_are_kept_and_bounded():
    check = _applied([["yours", [2.0, "bad", 1.0]], ["reference", list(range(1000))]] + [["more", [1]]] * 9)
    assert check.curves[0] == ("yours", (2.0, 1.0))
    assert len(check.curves) == MAX_CURVES and len(check.curves[1][1]) == MAX_CURVE_POINTS


# --- the picture: mapping values to SVG points --------------------------------------------------

def test_svg_points_span_the_box_with_high_values_at_the_top():
    points = common.svg_points([4.0, 2.0, 0.0], count=3, low=0.0, high=4.0, box=BOX)
    assert points == [(10, 20), (60, 45), (110, 70)]


def test_svg_points_line_up_series_of_different_lengths():
    short = common.svg_points([1.0, 1.0, 1.0], count=5, low=0.0, high=2.0, box=BOX)
    assert [x for x, _ in short] == [10, 35, 60] and {y for _, y in short} == {45}


def test_a_single_point_sits_in_the_middle():
    low, high = common.value_range([[3.0]])
    assert low < 3.0 < high
    assert common.svg_points([3.0], count=1, low=low, high=high, box=BOX) == [(60, 45)]


@pytest.mark.parametrize("values", [[0.0, 0.0, 0.0], [5e-324, 5e-324], [-2.5, -2.5]])
def test_constant_values_draw_a_flat_line_mid_plot(values):
    low, high = common.value_range([values])
    points = common.svg_points(values, count=len(values), low=low, high=high, box=BOX)
    assert {y for _, y in points} == {45}


def test_huge_ranges_stay_finite_and_in_the_box():
    values = [1.7e308, 0.0, -1.7e308]
    low, high = common.value_range([values])
    points = common.svg_points(values, count=3, low=low, high=high, box=BOX)
    assert [y for _, y in points] == [20, 45, 70]
    top = common.value_range([[1.7976931348623157e308]])  # widened past the largest float
    assert common.svg_points([1.7976931348623157e308], count=1, low=top[0], high=top[1], box=BOX) == [(60, 45)]
    clamped = common.svg_points([10.0, -10.0], count=2, low=0.0, high=1.0, box=BOX)
    assert [y for _, y in clamped] == [20, 70]
    assert all(math.isfinite(c) for p in points + clamped for c in p)


@pytest.mark.parametrize("series, log", [([[41.0, 1.0], [0.4]], True), ([[2.3, 0.8]], False),
                                         ([[100.0, 0.0]], False), ([[-1.0, -500.0]], False), ([], False)])
def test_a_loss_falling_by_orders_of_magnitude_is_drawn_on_a_log_scale(series, log):
    scaled, got = common.log_scaled(series)
    assert got == log
    assert scaled == ([[math.log10(v) for v in s] for s in series] if log else series)


def test_log_scale_is_said_and_labelled_with_the_losses_themselves():
    svg = curve_svg("fit", (("yours", (41.0, 2.0, 0.1, 3e-5)),))
    assert "loss (log scale) over 4 points" in svg and ">41</text>" in svg and ">3e-05</text>" in svg
    ys = [float(p.split(",")[1]) for p in re.search(r'points="([^"]+)"', svg).group(1).split()]
    assert ys == sorted(ys) and ys[1] - ys[0] < ys[3] - ys[2]  # 41 -> 2 is a smaller drop than 0.1 -> 3e-5
    linear = curve_svg("fit", (("yours", (2.3, 0.8)),))
    assert "(log scale)" not in linear and "loss over 2 points" in linear


def test_value_range_is_shared_by_all_series():
    assert common.value_range([[3.0, 2.0], [1.0, 5.0]]) == (1.0, 5.0)
    assert common.value_range([]) == (0.0, 1.0)


def test_sparkline_is_short_and_follows_the_values():
    line = common.sparkline(list(range(100, 0, -1)), low=1, high=100)
    assert len(line) == 24 and line[0] == "█" and line[-1] == "▁"
    assert list(line) == sorted(line, reverse=True)
    assert common.sparkline([2.0, 2.0], low=1.0, high=3.0) == "▅▅"


def test_curve_svg_draws_one_point_as_a_dot_and_escapes_labels():
    svg = curve_svg("check<1>", (("<script>x</script>", (0.5,)),))
    assert "<circle" in svg and "<polyline" not in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "check&lt;1&gt;" in svg
    assert curve_svg("c", ()) == ""


# --- end to end: a real training exercise -----------------------------------------------------

HOSTILE = '''

_fit = fit


def fit(*args, **kwargs):
    import grader.checks.helpers as h
    if not hasattr(h, "stolen"):
        h.stolen = h.take_curves.__kwdefaults__["_sink"]  # the list the plugin reads
    h.stolen.extend([object(), ("evil", ("a", None)), ("z" * 10_000, tuple(range(10**6)))])
    h._curves = None  # rebinding names changes nothing for the plugin
    h.record_curve = h.take_curves = None
    return _fit(*args, **kwargs)
'''


@pytest.fixture(scope="module")
def course():
    from grader.courses import default as default_course
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("KATA_COURSE", raising=False)
        yield default_course()


def _grade(course, path):
    from grader import api
    spec = course.manifest.get("linear_regression_autograd")
    return api.grade_pairs(api.pairs([spec], {spec.id: path}), course=course)[0]


def test_grading_a_training_solution_records_its_loss_curve(course):
    spec = course.manifest.get("linear_regression_autograd")
    result = _grade(course, course.solutions_dir / spec.relpath)
    assert result.passed
    (name, curves), = common.curves_of(result)
    assert name == "worked_example" and [label for label, _ in curves] == ["yours", "reference"]
    yours, reference = (values for _, values in curves)
    assert len(yours) == len(reference) == MAX_CURVE_POINTS  # 1000 epochs, thinned
    assert yours[0] == pytest.approx(41.0) and yours[-1] < 1e-3
    assert yours == pytest.approx(reference, rel=1e-3, abs=1e-5)

    again = ExerciseResult.from_dict(json.loads(json.dumps(result.to_dict())))
    page = render(GradeReport((again,)), "html")
    assert len(re.findall(r"<polyline points=", page)) == 2
    assert r"worked\_example**, yours: 200 points, first 41" in render(GradeReport((again,)), "md")


def test_a_submission_tampering_with_the_curves_costs_nothing_and_sends_nothing_unbounded(course, tmp_path):
    spec = course.manifest.get("linear_regression_autograd")
    hostile = tmp_path / "linear_regression_autograd.py"
    hostile.write_text((course.solutions_dir / spec.relpath).read_text() + HOSTILE)
    result = _grade(course, hostile)
    assert result.passed and result.score == result.max_score
    for check in result.checks:
        assert len(check.curves) <= MAX_CURVES
        for label, values in check.curves:
            assert 0 < len(label) <= MAX_LABEL and 0 < len(values) <= MAX_CURVE_POINTS
            assert all(type(v) is float and math.isfinite(v) for v in values)
    assert any(check.curves for check in result.checks)
