"""Grade a whole class: every submission folder in a directory → a gradebook CSV and a report each.

A submission is a learner's workspace (a folder holding exercises/manifest.toml), or loose exercise
files (conv2d.py, losses.py, ... anywhere inside the folder), each graded in place of the stub of
the same name in a fresh temporary workspace. The exercises and hidden checks come from the
installed course, never from the submission, and nothing is written into the submissions. A
folder that cannot be graded still gets its gradebook row, with the reason in the `note` column.
`only` grades part of the course: the gradebook then has columns for those exercises alone.
"""
from __future__ import annotations

import contextlib
import csv
import io
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from . import __version__, api, workspace as ws
from . import courses
from .course import Course
from .manifest import MANIFEST
from .results import FAULTS, GradeReport


@dataclass(frozen=True)
class BatchRow:
    name: str  # the submission folder's name
    report: GradeReport | None  # None when the folder could not be graded
    note: str = ""  # why it was not graded, or which exercises crashed / timed out
    html: Path | None = None  # its report, when one was written


def submission_folders(root: Path, *, exclude: tuple[Path, ...] = ()) -> list[Path]:
    """Every folder directly inside `root` (hidden ones and `exclude` left out), sorted by name."""
    root = Path(root)
    if not root.is_dir():
        raise api.KataError(f"{root} is not a folder of submissions")
    skip = {p.resolve() for p in exclude}
    return sorted((p for p in root.iterdir()
                   if p.is_dir() and not p.name.startswith((".", "__")) and p.resolve() not in skip),
                  key=lambda p: p.name)


def reports_dir(out: Path, reports: Path | None = None) -> Path:
    return Path(reports) if reports is not None else Path(out).parent / "reports"


def folders_to_grade(root: Path, *, out: Path, reports: Path | None = None) -> list[Path]:
    """The submission folders `grade_batch` grades: the output folders are never among them."""
    return submission_folders(root, exclude=(reports_dir(out, reports), Path(out).parent))


def loose_files(folder: Path, course: Course) -> dict[str, Path]:
    """Exercise id → the submission's file named like that exercise's (e.g. conv2d.py), found
    anywhere inside `folder`; the shallowest (then first by name) when there are several."""
    wanted = {Path(s.relpath).name: s.id for s in course.manifest}
    found: dict[str, Path] = {}
    for path in sorted(Path(folder).rglob("*.py"), key=lambda p: (len(p.parts), str(p))):
        if path.name in wanted and path.is_file() and not path.is_symlink() and not any(
                part.startswith(".") or part == "__pycache__" for part in path.relative_to(folder).parts):
            found.setdefault(wanted[path.name], path)
    return found


@contextlib.contextmanager
def submission_workspace(folder: Path, course: Course) -> Iterator[ws.Workspace]:
    """The submission as a workspace to grade: the folder itself when it is one, else a fresh
    temporary workspace with each loose file in place of the stub of the same name (removed
    afterwards). Nothing is written into `folder`. Raises KataError when it holds neither."""
    folder = Path(folder)
    if (folder / MANIFEST).is_file():
        yield ws.find(explicit=folder)
        return
    files = loose_files(folder, course) if folder.is_dir() else {}
    if not files:
        raise api.KataError(f"not a kata workspace (no {MANIFEST}) and no exercise files"
                            f" (such as {Path(course.manifest.exercises[0].relpath).name}) inside")
    with tempfile.TemporaryDirectory(prefix="kata-submission-") as tmp:
        space = api.init(dest=Path(tmp) / "ws", course=course)
        for spec in course.manifest:
            if spec.id in files:
                shutil.copyfile(files[spec.id], space.exercise_file(spec))
        yield space


def grade_submission(folder: Path, *, course: Course, require_gpu: bool = False,
                     threads: int | None = None, only: list[str] | None = None,
                     sandbox: str | None = None) -> BatchRow:
    """Grade one submission folder (a workspace or loose files) without writing into it, in a
    sandbox of its own. Never raises (but KataError when `sandbox` is "required" and bubblewrap
    cannot run)."""
    folder = Path(folder)
    try:
        specs = [course.manifest.get(i) for i in only] if only else list(course.manifest)
        with contextlib.ExitStack() as stack:
            try:
                space = stack.enter_context(submission_workspace(folder, course))
            except api.KataError as exc:
                return BatchRow(folder.name, None, str(exc))
            report = _grade_space(space, specs, course=course, require_gpu=require_gpu, threads=threads,
                                  sandbox=sandbox)
    except api.KataError:
        raise
    except Exception as exc:  # one broken submission must not stop the class's grading
        return BatchRow(folder.name, None, f"could not be graded: {type(exc).__name__}: {exc}")
    faults = [f"{e.id}: {e.status}" for e in report.exercises if e.status in FAULTS]
    return BatchRow(folder.name, report, "; ".join(faults))


def _grade_space(space: ws.Workspace, specs: list, *, course: Course, require_gpu: bool,
                 threads: int | None, sandbox: str | None) -> GradeReport:
    started, clock = time.strftime("%Y-%m-%dT%H:%M:%S%z"), time.perf_counter()
    work = api.pairs(specs, {s.id: space.exercise_file(s) for s in specs}, {s.id: space.display(s) for s in specs})
    results, env = api.grade_pairs(work, course=course, require_gpu=require_gpu, threads=threads, jobs=1,
                                   root=space.root, sandbox=sandbox, with_environment=True)
    return GradeReport(tuple(results), started_at=started, duration_s=time.perf_counter() - clock,
                       environment=env, kata_version=__version__)


def grade_batch(*, root: Path, out: Path, reports: Path | None = None, jobs: int = 1,
                course: Course | None = None, require_gpu: bool = False, only: list[str] | None = None,
                sandbox: str = "required",
                on_result: Callable[[BatchRow], None] | None = None) -> list[BatchRow]:
    """Grade every submission in `root`, `jobs` at a time; write the gradebook CSV to `out` and,
    per graded submission, `<name>.html` and `<name>.json` under `reports` (default: a `reports`
    folder next to `out`). Returns the rows in name order; `on_result` hears each as it finishes."""
    from .render import render
    course = course or courses.default()
    ids = [course.manifest.get(i).id for i in only] if only else [s.id for s in course.manifest]
    out = Path(out)
    reports = reports_dir(out, reports)
    folders = folders_to_grade(root, out=out, reports=reports)
    reports.mkdir(parents=True, exist_ok=True)
    jobs = max(1, jobs)
    threads = max(1, api._cpu_count() // jobs)

    from . import sandbox as sandboxing
    try:
        sandbox = sandboxing.choose(sandbox)  # refuse before grading anyone
    except sandboxing.SandboxError as exc:
        raise api.KataError(str(exc)) from None

    def one(folder: Path) -> BatchRow:
        row = grade_submission(folder, course=course, require_gpu=require_gpu, threads=threads, only=only,
                               sandbox=sandbox)
        if row.report is not None:
            try:
                html = reports / f"{row.name}.html"
                html.write_text(render(row.report, "html"), encoding="utf-8")
                (reports / f"{row.name}.json").write_text(row.report.to_json() + "\n", encoding="utf-8")
                row = BatchRow(row.name, row.report, row.note, html)
            except OSError as exc:
                row = BatchRow(row.name, row.report, f"{row.note}; report not written: {exc}".lstrip("; "))
        return row

    rows = []
    if jobs == 1 or len(folders) <= 1:
        for folder in folders:
            rows.append(one(folder))
            if on_result:
                on_result(rows[-1])
    else:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for future in as_completed([pool.submit(one, f) for f in folders]):
                rows.append(future.result())
                if on_result:  # called from this thread only
                    on_result(rows[-1])
    rows.sort(key=lambda r: r.name)
    write_gradebook(out, rows, ids)
    return rows


def gradebook_csv(rows: list[BatchRow], exercise_ids: list[str]) -> str:
    """A row per submission, a column per exercise (its score), then total, max_score, percent, note."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["submission", *exercise_ids, "total", "max_score", "percent", "note"])
    for row in rows:
        if row.report is None:
            writer.writerow([row.name, *([""] * len(exercise_ids)), "", "", "", row.note])
            continue
        cells = []
        for eid in exercise_ids:
            result = row.report.get(eid)
            cells.append(f"{result.score:g}" if result is not None else "")
        r = row.report
        writer.writerow([row.name, *cells, f"{r.score:g}", f"{r.max_score:g}", f"{100 * r.fraction:.1f}", row.note])
    return buf.getvalue()


def write_gradebook(out: Path, rows: list[BatchRow], exercise_ids: list[str]) -> None:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(gradebook_csv(rows, exercise_ids), encoding="utf-8")
    tmp.replace(out)
