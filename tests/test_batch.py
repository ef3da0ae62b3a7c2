"""`kata batch`: a folder of submissions → a gradebook CSV and one report per student."""
from __future__ import annotations

import csv
import io
import shutil

import pytest
from click.testing import CliRunner

from grader import api, batch
from grader.cli import cli
from grader.results import CheckResult, ExerciseResult, GradeReport

from .conftest import SUBMISSIONS, digest


def make_class(root, course, names=("alice", "bob")):
    """Submission folders laid out as learners' workspaces, plus one folder that is not one."""
    for name in names:
        api.init(dest=root / name, course=course)
    (root / "carol").mkdir()
    (root / "carol" / "adder.py").write_text("def add(a, b):\n    return a + b\n")
    (root / ".hidden").mkdir()
    return root


@pytest.fixture
def fake_grading(monkeypatch):
    """grade_files answers by submission: alice passes everything, bob gets one check wrong."""
    calls = []

    def grade_files(specs, files, *, course, jobs=1, require_gpu=False, display=None, threads=None,
                    root=None, sandbox=None, with_environment=False):
        calls.append((files, threads))
        who = next(iter(files.values())).parts[-4]
        out = []
        for spec in specs:
            wrong = who == "bob" and spec.id == "adder"
            checks = (CheckResult("one", "failed" if wrong else "passed", 2, "wrong" if wrong else ""),
                      CheckResult("two", "passed", 1))
            out.append(ExerciseResult(spec.id, spec.title, (display or {}).get(spec.id, ""), checks=checks))
        return (out, {"python": "3", "device": "cpu", "sandbox": sandbox}) if with_environment else out

    monkeypatch.setattr(api, "grade_files", grade_files)
    return calls


def read_csv(path):
    return list(csv.DictReader(io.StringIO(path.read_text())))


def test_gradebook_has_a_row_per_submission_and_a_column_per_exercise(course, tmp_path, fake_grading):
    root = make_class(tmp_path / "subs", course)
    out = tmp_path / "grades" / "gradebook.csv"
    seen = []
    rows = batch.grade_batch(root=root, out=out, course=course, on_result=lambda r: seen.append(r.name))
    assert [r.name for r in rows] == ["alice", "bob", "carol"] and sorted(seen) == ["alice", "bob", "carol"]
    table = read_csv(out)
    ids = [s.id for s in course.manifest]
    assert list(table[0]) == ["submission", *ids, "total", "max_score", "percent", "note"]
    alice, bob, carol = table
    assert [alice[i] for i in ids] == ["3", "3"] and alice["total"] == "6" and alice["percent"] == "100.0"
    assert bob["adder"] == "1" and bob["total"] == "4" and bob["max_score"] == "6"
    for row in rows[:2]:  # each total is the sum of its exercise columns
        assert float(table[rows.index(row)]["total"]) == sum(float(table[rows.index(row)][i]) for i in ids)
    assert carol["total"] == "" and "not a kata workspace" in carol["note"]
    reports = tmp_path / "grades" / "reports"
    assert sorted(p.name for p in reports.iterdir()) == ["alice.html", "alice.json", "bob.html", "bob.json"]
    assert GradeReport.load(reports / "bob.json").score == 4
    assert 'id="ex-adder"' in (reports / "bob.html").read_text()


def test_batch_writes_nothing_into_the_submissions(course, tmp_path, fake_grading):
    root = make_class(tmp_path / "subs", course)
    before = digest(root)
    batch.grade_batch(root=root, out=tmp_path / "g.csv", course=course)
    assert digest(root) == before


def test_reports_inside_the_submissions_folder_are_not_graded(course, tmp_path, fake_grading):
    root = make_class(tmp_path / "subs", course)
    rows = batch.grade_batch(root=root, out=root / "gradebook.csv", reports=root / "reports", course=course)
    assert "reports" not in [r.name for r in rows]
    again = batch.grade_batch(root=root, out=root / "gradebook.csv", reports=root / "reports", course=course)
    assert [r.name for r in again] == ["alice", "bob", "carol"]


def test_parallel_batch_shares_the_cpus(course, tmp_path, fake_grading, monkeypatch):
    monkeypatch.setattr(api, "_cpu_count", lambda: 8)
    root = make_class(tmp_path / "subs", course, names=("a1", "a2", "a3", "a4"))
    rows = batch.grade_batch(root=root, out=tmp_path / "g.csv", jobs=4, course=course)
    assert [r.name for r in rows] == ["a1", "a2", "a3", "a4", "carol"]
    assert {threads for _, threads in fake_grading} == {2}


def test_one_broken_submission_does_not_stop_the_class(course, tmp_path, monkeypatch, fake_grading):
    root = make_class(tmp_path / "subs", course)
    real = api.grade_files

    def explode_for_bob(specs, files, **kw):
        if "bob" in str(next(iter(files.values()))):
            raise RuntimeError("disk on fire")
        return real(specs, files, **kw)

    monkeypatch.setattr(api, "grade_files", explode_for_bob)
    rows = {r.name: r for r in batch.grade_batch(root=root, out=tmp_path / "g.csv", course=course)}
    assert rows["alice"].report is not None
    assert rows["bob"].report is None and "disk on fire" in rows["bob"].note


def test_missing_folder_is_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["batch", str(tmp_path / "nope"), "--out", str(tmp_path / "g.csv")])
    assert result.exit_code == 2 and "is not a folder of submissions" in result.output
    assert "Traceback" not in result.output


def test_batch_end_to_end_through_the_fake_course(course, tmp_path):
    """The one test here that really grades: two learners and a stray folder, two at a time."""
    root = make_class(tmp_path / "subs", course)
    shutil.copyfile(SUBMISSIONS / "adder" / "passing.py", root / "alice" / "exercises" / "01_basics" / "adder.py")
    shutil.copyfile(course.solutions_dir / "01_basics" / "greeter.py",
                    root / "alice" / "exercises" / "01_basics" / "greeter.py")
    shutil.copyfile(SUBMISSIONS / "adder" / "failing.py", root / "bob" / "exercises" / "01_basics" / "adder.py")
    before = digest(root)
    out = tmp_path / "gradebook.csv"
    result = CliRunner().invoke(cli, ["batch", str(root), "--out", str(out), "--reports", str(tmp_path / "r"),
                                      "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert "Graded 2/3 submissions" in result.output and "carol: not a kata workspace" in result.output
    alice, bob, carol = read_csv(out)
    assert (alice["adder"], alice["greeter"], alice["total"], alice["max_score"]) == ("5", "1", "6", "6")
    assert (bob["adder"], bob["greeter"], bob["total"], bob["max_score"]) == ("4", "0", "4", "6")
    assert carol["submission"] == "carol" and carol["total"] == ""
    page = (tmp_path / "r" / "bob.html").read_text()
    assert "add(2, 3) is -1, expected 5" in page and "4/6" in page
    assert digest(root) == before and not (root / "alice" / ".kata" / "results.json").exists()
