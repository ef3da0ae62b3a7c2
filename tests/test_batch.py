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
    (root / "carol" / "my_adder.py").write_text("def add(a, b):\n    return a + b\n")  # not an exercise file
    (root / ".hidden").mkdir()
    return root


@pytest.fixture
def fake_grading(monkeypatch):
    """grade_pairs answers by submission: alice passes everything, bob gets one check wrong."""
    calls = []

    def grade_pairs(work, *, course, jobs=1, require_gpu=False, threads=None,
                    root=None, sandbox=None, with_environment=False):
        files = {spec.id: path for spec, path, _ in work}
        display = {spec.id: shown for spec, _, shown in work}
        calls.append((files, threads))
        who = next(iter(files.values())).parts[-4]
        out = []
        for spec, _, _ in work:
            wrong = who == "bob" and spec.id == "adder"
            checks = (CheckResult("one", "failed" if wrong else "passed", 2, "wrong" if wrong else ""),
                      CheckResult("two", "passed", 1))
            out.append(ExerciseResult(spec.id, spec.title, (display or {}).get(spec.id, ""), checks=checks))
        return (out, {"python": "3", "device": "cpu", "sandbox": sandbox}) if with_environment else out

    monkeypatch.setattr(api, "grade_pairs", grade_pairs)
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
    real = api.grade_pairs

    def explode_for_bob(work, **kw):
        if "bob" in str(work[0][1]):
            raise RuntimeError("disk on fire")
        return real(work, **kw)

    monkeypatch.setattr(api, "grade_pairs", explode_for_bob)
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


# --- loose files and --only ---------------------------------------------------------------------

def test_loose_files_are_graded_in_place_of_the_stubs(course, tmp_path):
    """A folder of loose files (as uploaded to Gradescope): each file, wherever it sits, is graded
    in place of the stub of the same name; nothing is written into the submission."""
    root = tmp_path / "subs"
    dave = root / "dave" / "my work" / "week1"
    dave.mkdir(parents=True)
    shutil.copyfile(SUBMISSIONS / "adder" / "passing.py", dave / "adder.py")
    (root / "dave" / "notes.txt").write_text("hello")
    (root / "erin").mkdir()
    (root / "erin" / "readme.md").write_text("nothing to grade")
    before = digest(root)
    out = tmp_path / "gradebook.csv"
    result = CliRunner().invoke(cli, ["batch", str(root), "--out", str(out)])
    assert result.exit_code == 0, result.output
    dave_row, erin_row = read_csv(out)
    assert (dave_row["adder"], dave_row["greeter"], dave_row["total"]) == ("5", "0", "5")
    assert erin_row["total"] == "" and "no exercise files (such as adder.py)" in erin_row["note"]
    assert digest(root) == before


def test_loose_files_prefers_the_shallowest_copy(course, tmp_path):
    folder = tmp_path / "sub"
    (folder / "old").mkdir(parents=True)
    (folder / "adder.py").write_text("# top\n")
    (folder / "old" / "adder.py").write_text("# old\n")
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "greeter.py").write_text("# hidden\n")
    assert batch.loose_files(folder, course) == {"adder": folder / "adder.py"}
    with batch.submission_workspace(folder, course) as space:
        made = space.root
        assert (space.exercises_dir / "01_basics" / "adder.py").read_text() == "# top\n"
        assert (space.exercises_dir / "01_basics" / "greeter.py").read_text() == \
            (course.stubs_dir / "01_basics" / "greeter.py").read_text()
    assert not made.exists()  # the temporary workspace is gone


def test_only_grades_part_of_the_course(course, tmp_path, fake_grading):
    root = make_class(tmp_path / "subs", course)
    out = tmp_path / "g.csv"
    rows = batch.grade_batch(root=root, out=out, course=course, only=["greeter"])
    assert list(read_csv(out)[0]) == ["submission", "greeter", "total", "max_score", "percent", "note"]
    assert all(r.report is None or [e.id for e in r.report.exercises] == ["greeter"] for r in rows)
    assert {tuple(files) for files, _ in fake_grading} == {("greeter",)}  # only greeter was graded


def test_only_with_an_unknown_id_is_one_line(course, tmp_path):
    root = make_class(tmp_path / "subs", course)
    result = CliRunner().invoke(cli, ["batch", str(root), "--out", str(tmp_path / "g.csv"), "--only", "nope"])
    assert result.exit_code == 2 and "unknown exercise 'nope'" in result.output
    assert not (tmp_path / "g.csv").exists()


def test_classroom_grade_takes_loose_files_and_writes_gradescope_results(course, tmp_path):
    sub = tmp_path / "submission"
    sub.mkdir()
    shutil.copyfile(SUBMISSIONS / "adder" / "failing.py", sub / "adder.py")
    before = digest(sub)
    out = tmp_path / "results" / "results.json"
    result = CliRunner().invoke(cli, ["classroom", "grade", str(sub), "--out", str(out)])
    assert result.exit_code == 0, result.output
    import json
    data = json.loads(out.read_text())
    assert data["score"] == 4 and data["output_format"] == "text"
    assert digest(sub) == before
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(cli, ["classroom", "grade", str(empty), "--out", str(out)])
    assert result.exit_code == 2 and "no exercise files" in result.output
    told = json.loads(out.read_text())  # what the learner reads on Gradescope
    assert told["score"] == 0 and "adder.py, greeter.py" in told["output"] and told["output_format"] == "text"
