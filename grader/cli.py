"""The `kata` command: each verb parses its options, calls grader.api, and prints a renderer's text.

Every expected failure (unknown exercise, no workspace, corrupt state) is one line on stderr and
exit status 2; `kata grade --min-score` below the bar exits 1. Ctrl-C exits 130 with one line on
stderr; a reader that closes the pipe early (`kata list | head -3`) ends kata quietly with status 0.
Exercises are named by id or by their number in `kata list` (grader/manifest.py resolves both).
"""
from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import click

from . import __version__, api, courses
from .course import CourseError
from .manifest import ManifestError
from .render import FORMATS, terminal as term
from .results import ResultsError
from .wheels import PackageError
from .workspace import WorkspaceError

EXPECTED = (api.KataError, WorkspaceError, ManifestError, ResultsError, CourseError, PackageError, OSError)
sandbox_option = click.option(
    "--sandbox", type=click.Choice(["auto", "required", "none"]), default=None,
    help="Grade inside a bubblewrap sandbox: auto (when it can run here; the default, or $KATA_SANDBOX),"
         " required (refuse without it) or none.")
course_option = click.option("--course", "course_name", default=None, metavar="NAME",
                              help="An installed course (see `kata courses`) or a course folder"
                                   " (default: KATA_COURSE, else the shipped course).")
only_option = click.option("--only", multiple=True, metavar="ID",
                           help="These exercises alone, an assignment (repeatable).")
workspace_option = click.option("--workspace", "-w", type=click.Path(path_type=Path), default=None,
                                help="The learner's folder (default: found from the current directory).")


def friendly(fn):
    """Expected errors become one line and exit 2, never a traceback."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except BrokenPipeError:
            raise  # not the learner's mistake: the reader went away (KataGroup ends quietly)
        except EXPECTED as exc:
            message = exc.strerror + f": {exc.filename}" if isinstance(exc, OSError) and exc.filename else str(exc)
            click.echo(f"kata: {message}", err=True)
            sys.exit(2)
    return wrapper


class KataGroup(click.Group):
    """The top of every verb: a closed pipe ends quietly with status 0, Ctrl-C with 130."""

    def invoke(self, ctx: click.Context):
        try:
            try:
                return super().invoke(ctx)
            finally:
                sys.stdout.flush()  # a reader that went away shows here, not in Python's exit
        except BrokenPipeError:
            _silence_stdout()
            ctx.exit(0)
        except KeyboardInterrupt:
            click.echo("\nkata: interrupted", err=True)
            ctx.exit(130)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _silence_stdout() -> None:
    """Point stdout at /dev/null so nothing more (Python's own flush at exit) hits the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (a test's captured stdout)
        pass


@click.group(cls=KataGroup, invoke_without_command=True)
@click.version_option(__version__, prog_name="kata")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Auto-graded katas for deep-learning fundamentals. With no command: the next exercise."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(next_cmd)


@cli.command("next")
@workspace_option
@friendly
def next_cmd(workspace: Path | None = None) -> None:
    """The next pending exercise: what to do and your progress."""
    progress = api.next_exercise(workspace=api.open_workspace(workspace=workspace))
    click.echo(f"Progress {term.progress_bar(progress.passed, progress.total)}")
    if progress.spec is None:
        click.echo(click.style("Every exercise passes. Well done!", fg="green", bold=True))
        return
    spec, result = progress.spec, progress.result
    click.echo(click.style(f"\nNext: {spec.title}", bold=True) + f"  ({spec.id}, {spec.index + 1}/{progress.total})")
    click.echo(f"File: {progress.path}")
    if result is not None:
        click.echo(f"Last check: {term.status_word(result.status)}, {term.score(result)}")
    if progress.summary:
        click.echo("\n" + progress.summary)
    click.echo("\nFill in each TODO, then run `kata check` (or `kata watch`). Stuck? `kata hint`.")


@cli.command("list")
@workspace_option
@friendly
def list_cmd(workspace: Path | None) -> None:
    """Every exercise with its status and score from the last results."""
    rows = api.statuses(workspace=api.open_workspace(workspace=workspace))
    for spec, result in rows:
        status = result.status if result else "pending"
        score = term.score(result) if result else "-"
        click.echo(f"{term.mark(status)} {spec.index + 1:2}. {spec.id:28} {score:>9}  {term.status_word(status)}")


@cli.command()
@click.argument("exercise_id", required=False)
@workspace_option
@click.option("--solutions", is_flag=True, help="Grade the reference solution instead.")
@sandbox_option
@friendly
def check(exercise_id: str | None, workspace: Path | None, solutions: bool, sandbox: str | None) -> None:
    """Grade one exercise (default: the next pending) and show every check's feedback."""
    space = api.open_workspace(workspace=workspace, solutions=solutions)
    spec = api.resolve(exercise_id, workspace=space)
    report = api.grade(workspace=space, ids=[spec.id], sandbox=sandbox)
    result = report.exercises[0]
    click.echo(term.exercise_detail(result))
    if result.passed and not solutions:
        following = api.next_exercise(workspace=space)
        nxt = f"next: {following.spec.id} (`kata next`)" if following.spec else "that was the last one!"
        click.echo(click.style(f"\nPassed! {nxt}", fg="green", bold=True))
    sys.exit(0 if result.passed else 1)


@cli.command()
@click.argument("exercise_id", required=False)
@workspace_option
@friendly
def hint(exercise_id: str | None, workspace: Path | None) -> None:
    """The next hint for an exercise (default: the next pending), one more per call."""
    space = api.open_workspace(workspace=workspace)
    shown = api.hint(workspace=space, exercise_id=exercise_id)
    click.echo(term.hint_text(shown, space.display(shown.spec)))


@cli.command()
@click.argument("ids", nargs=-1)
@workspace_option
@click.option("--solutions", is_flag=True, help="Grade the reference solutions (results are not saved).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Exercises graded side by side (default: one per core).")
@sandbox_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help="Also write this format.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Where to write --format (default: stdout).")
@click.option("--min-score", type=click.FloatRange(0, 100), default=None,
              help="Exit 1 when the total is below this percentage (for CI).")
@click.option("--require-gpu", is_flag=True, help="Count GPU-only checks even without a GPU.")
@friendly
def grade(ids, workspace, solutions, jobs, sandbox, fmt, out, min_score, require_gpu) -> None:
    """Grade every exercise (or the ones named) and save .kata/results.json."""
    space = api.open_workspace(workspace=workspace, solutions=solutions)
    report = api.grade(workspace=space, ids=list(ids) or None, jobs=jobs, require_gpu=require_gpu,
                       sandbox=sandbox)
    if fmt:
        from .render import render
        text = render(report, fmt)
        if out:
            _write_out(out, text)
        else:
            click.echo(text, nl=False)
    if not fmt or out:
        click.echo(term.report_summary(report), err=bool(fmt and not out))
    from .render import github
    if github.in_actions():  # job summary, annotations at the failing lines, step output `result`
        github.publish(report, root=space.root, echo=lambda line: click.echo(line, err=bool(fmt and not out)))
    if min_score is not None and 100 * report.fraction < min_score:
        click.echo(f"kata: score {100 * report.fraction:.1f} % is below --min-score {min_score:g} %", err=True)
        sys.exit(1)


@cli.command()
@click.argument("exercise_id")
@workspace_option
@friendly
def solution(exercise_id: str, workspace: Path | None) -> None:
    """The reference solution, once your exercise has passed."""
    click.echo(api.solution(workspace=api.open_workspace(workspace=workspace), exercise_id=exercise_id), nl=False)


@cli.command()
@click.argument("exercise_id")
@workspace_option
@friendly
def reset(exercise_id: str, workspace: Path | None) -> None:
    """Restore the stub of an exercise; your file is backed up under .kata/backups/ first."""
    space = api.open_workspace(workspace=workspace)
    spec = api.resolve(exercise_id, workspace=space)
    backup = api.reset(workspace=space, exercise_id=spec.id)
    click.echo(f"Restored the stub of {spec.id} and forgot its last check." +
               (f" Your file is saved as {backup}." if backup else ""))


@cli.command()
@click.argument("dest", type=click.Path(path_type=Path))
@course_option
@only_option
@friendly
def init(dest: Path, course_name: str | None, only) -> None:
    """Create a fresh learner workspace in DEST (new or empty) for a course, or some of its exercises."""
    space = api.init(dest=dest, course=courses.named(course_name), only=list(only) or None)
    course = api.course_of(space)
    click.echo(f"Created a kata workspace in {space.root} for {course.label}"
               f" ({_count(len(course.manifest), 'exercise')}).\nNext: cd {dest} && kata")


@cli.command("courses")
@friendly
def courses_cmd() -> None:
    """The installed courses: name, version, package and number of exercises."""
    found = courses.installed()
    custom = courses.from_env()
    if not found and custom is None:
        click.echo("No course is installed; kata's own (deep-learning) comes with it: reinstall kata.")
        return
    for entry in found:
        try:
            course = entry.load()
            size = f"{_count(len(course.full_manifest), 'exercise'):>12}"
        except Exception as exc:  # noqa: BLE001 - one broken course must not hide the others
            size = f"broken: {str(exc).splitlines()[0]}"
        default = "  (default)" if entry.name == courses.SHIPPED and custom is None else ""
        click.echo(f"{entry.name:24} {entry.version:10} {entry.distribution:24} {size}{default}")
    if custom is not None:
        click.echo(f"{custom.name:24} {custom.version:10} {'KATA_COURSE=' + str(custom.root):24}"
                   f" {_count(len(custom.full_manifest), 'exercise'):>12}  (default here: KATA_COURSE)")


@cli.group()
def dev() -> None:
    """Tools for course authors."""


def _dev_course(course_name: str | None):
    """`--course`, else the course being written here (KATA_COURSE, the project around the current
    folder), else the shipped course."""
    return courses.named(course_name) if course_name else courses.for_dev()


@dev.command("new")
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--name", required=True, help="The course's name (lower case, words joined by -), e.g. nlp-basics.")
@friendly
def dev_new(dest: Path, name: str) -> None:
    """Write a course project in DEST: pyproject.toml, a README for its author, one sample exercise."""
    from . import authoring
    folder, added = authoring.new_course(dest, name=name)
    click.echo(f"Created the course project '{name}' in {folder}, with the sample exercise '{added.id}'.")
    click.echo(f"Next: cd {dest} && kata dev check; pip install -e . makes it a course kata can install"
               f" workspaces of (`kata init DIR --course {name}`).")


@dev.command("add")
@click.argument("exercise_id")
@click.option("--chapter", required=True, help="The chapter folder, e.g. 02_vectors (made when it is new).")
@click.option("--title", default=None, help="The exercise's title (default: from its id).")
@friendly
def dev_add(exercise_id: str, chapter: str, title: str | None) -> None:
    """Add an exercise to the course project here: stub, solution, checks, a mutant, two hints."""
    from . import authoring
    course = authoring.editable_course()
    added = authoring.add_exercise(course, exercise_id, chapter=chapter, title=title)
    click.echo(f"Added '{added.id}' to the course '{course.name}':")
    for path in added.files:
        click.echo(f"  {path}")
    click.echo(f"Next: write the exercise into these files, then `kata dev check --only {added.id}`.")


@dev.command("check")
@click.option("--only", multiple=True, help="Check only this exercise (repeatable).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=2, show_default=True)
@course_option
@friendly
def dev_check(only, jobs, course_name) -> None:
    """The course proves itself: solutions 100 %, stubs 0, every mutant caught."""
    from . import devcheck
    findings = devcheck.run(_dev_course(course_name), only=list(only) or None, jobs=jobs)
    for f in findings:
        click.echo(f"{term.mark('passed' if f.ok else 'failed')} {f.exercise:26} {f.subject:34} {f.detail}")
    bad = [f for f in findings if not f.ok]
    click.echo(f"\n{len(findings) - len(bad)}/{len(findings)} course checks hold.")
    sys.exit(1 if bad else 0)


@dev.command("timings")
@click.option("--only", multiple=True, help="Measure only this exercise (repeatable); the others keep theirs.")
@course_option
@friendly
def dev_timings(only, course_name) -> None:
    """Measure each check on the reference solution; write the per-check time limits' basis."""
    import json

    from . import devcheck
    course = _dev_course(course_name)
    try:
        known = json.loads(course.timings_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    known.update(devcheck.learn_timings(course, only=list(only) or None))
    ordered = {spec.id: known[spec.id] for spec in course.manifest if spec.id in known}
    course.timings_path.write_text(json.dumps(ordered, indent=1) + "\n", encoding="utf-8")
    click.echo(f"Wrote {course.timings_path}: {sum(len(v) for v in ordered.values())} checks.")


@dev.command("mistakes")
@click.option("--only", multiple=True, help="Only this exercise (repeatable); the others keep theirs.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=2, show_default=True)
@course_option
@friendly
def dev_mistakes(only, jobs, course_name) -> None:
    """Grade the solution and every mutant; keep what they return as the mistake library."""
    from . import devcheck
    written = devcheck.build_libraries(_dev_course(course_name), only=list(only) or None, jobs=jobs)
    for exercise, path, count in written:
        click.echo(f"{exercise:26} {count} known mistakes -> {path}")
    click.echo(f"Wrote {len(written)} mistake libraries.")


@cli.command("watch")
@workspace_option
@friendly
def watch_cmd(workspace: Path | None) -> None:
    """Re-check the next pending exercise on every save; move on when it passes (keys: h l n c q)."""
    from . import watch as watching
    try:
        watching.watch(workspace=api.open_workspace(workspace=workspace))
    except KeyboardInterrupt:  # q leaves with 0; Ctrl-C is an interruption, as everywhere
        click.echo("\nStopped watching.")
        sys.exit(130)


def _write_out(out: Path, text: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")


@cli.command()
@workspace_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="html", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Where to write it (default: stdout; with --open, .kata/report.html).")
@click.option("--open", "open_", is_flag=True, help="Open the html report in a browser.")
@friendly
def report(workspace: Path | None, fmt: str, out: Path | None, open_: bool) -> None:
    """Re-render the last results (.kata/results.json) in any format."""
    from .render import render
    space = api.open_workspace(workspace=workspace)
    last = space.load_results()
    if last is None:
        raise api.KataError("no results yet in this workspace; run `kata grade` first")
    if open_ and fmt != "html":
        raise api.KataError("--open shows the html report; drop --format or use --format html")
    out = out or (space.state_dir / "report.html" if open_ else None)
    text = render(last, fmt)
    if out is None:
        click.echo(text, nl=False)
        return
    _write_out(out, text)
    click.echo(f"Wrote {out}", err=True)
    if open_:
        import webbrowser
        webbrowser.open(out.resolve().as_uri())


@cli.group()
def classroom() -> None:
    """Ready-made classroom CI: GitHub Classroom and Gradescope."""


package_option = click.option(
    "--package", default=None,
    help="The course's package, as pip installs it (default: the installed course); may use ${{ secrets.NAME }}.")
kata_package_option = click.option(
    "--kata-package", default=None,
    help="kata's own package, for a course other than the shipped one (default: this kata).")


def _measuring() -> None:
    click.echo("Measuring each exercise's points (grading the untouched stubs)…", err=True)


def _warn(line: str) -> None:
    click.echo(f"kata: warning: {line}", err=True)


@classroom.command("github")
@click.argument("repo", type=click.Path(path_type=Path))
@course_option
@only_option
@package_option
@kata_package_option
@click.option("--force", is_flag=True, help="Replace an existing workflow.")
@friendly
def classroom_github(repo: Path, course_name: str | None, only, package: str | None, kata_package: str | None,
                     force: bool) -> None:
    """Write .github/workflows/kata.yml into a learner's repository (a kata workspace)."""
    from . import classroom as cls
    cls.github_target(repo=repo, force=force)
    course = api.course_of(api.open_workspace(workspace=repo))
    if course_name and courses.named(course_name).name != course.name:
        raise api.KataError(f"{repo} is a workspace of the course '{course.name}', not '{course_name}'")
    course = course.assignment(list(only) or None)
    target, exercises = cls.github_kit(repo=repo, course=course, package=package, kata_package=kata_package,
                                       force=force, warn=_warn, announce=_measuring)
    total = sum(e.max_score for e in exercises)
    click.echo(f"Wrote {target}: every push is graded and the points go to GitHub Classroom"
               f" ({course.label}: {_count(len(exercises), 'exercise')}, one reporter runner each, {total:g} points on a"
               " CPU runner).")


@classroom.command("gradescope")
@click.argument("out", type=click.Path(path_type=Path))
@course_option
@only_option
@package_option
@kata_package_option
@friendly
def classroom_gradescope(out: Path, course_name: str | None, only, package: str | None,
                         kata_package: str | None) -> None:
    """Build a Gradescope autograder zip (setup.sh, run_autograder, README.txt and the wheels) at OUT."""
    from . import classroom as cls
    course = courses.named(course_name).assignment(list(only) or None)
    target, total = cls.gradescope_kit(out=out, course=course, package=package, kata_package=kata_package,
                                       warn=_warn, announce=_measuring)
    click.echo(f"Wrote {target} for {course.label} ({_count(len(course.manifest), 'exercise')}): upload it as the"
               " assignment's autograder on Gradescope.")
    click.echo(f"Set the assignment's total points to {total:g} (the most a submission scores on"
               " Gradescope's CPU machines, where GPU-only checks are skipped; also in README.txt).")


@classroom.command("grade")
@click.argument("submission", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="gradescope", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Where to write the results.")
@only_option
@course_option
@click.option("--require-gpu", is_flag=True, help="Count GPU-only checks even without a GPU.")
@friendly
def classroom_grade(submission: Path, fmt: str, out: Path, only, course_name: str | None, require_gpu: bool) -> None:
    """Grade one uploaded SUBMISSION (a workspace or loose exercise files) without writing into it."""
    from . import batch as batching
    from .render import render
    course = courses.named(course_name).assignment(list(only) or None)
    row = batching.grade_submission(submission, course=course, require_gpu=require_gpu)
    if row.report is None:
        if fmt == "gradescope":  # the learner reads results.json, not the log: say it there too
            import json
            names = ", ".join(Path(s.relpath).name for s in course.manifest)
            _write_out(out, json.dumps({
                "score": 0, "output_format": "text", "tests": [], "visibility": "visible",
                "output": f"kata could not grade this submission: {row.note}.\nUpload your kata folder, or"
                          f" your exercise files by their names ({names})."}, indent=2) + "\n")
        raise api.KataError(f"{submission}: {row.note}")
    _write_out(out, render(row.report, fmt))
    click.echo(term.report_summary(row.report))


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=Path("gradebook.csv"), show_default=True,
              help="The gradebook CSV.")
@click.option("--reports", type=click.Path(path_type=Path), default=None,
              help="Where each submission's html (and json) report goes (default: reports/ next to --out).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Submissions graded side by side.")
@click.option("--require-gpu", is_flag=True, help="Count GPU-only checks even without a GPU.")
@click.option("--only", multiple=True, help="Grade only this exercise (repeatable); the gradebook has only its columns.")
@course_option
@click.option("--sandbox", type=click.Choice(["required", "none"]), default="required", show_default=True,
              help="Grade each submission in its own bubblewrap sandbox; `none` only where every submission is trusted.")
@friendly
def batch(folder: Path, out: Path, reports: Path | None, jobs: int, require_gpu: bool, only, course_name: str | None,
          sandbox: str) -> None:
    """Grade every submission in FOLDER (workspaces or folders of loose exercise files): a gradebook
    CSV and one report per student."""
    from . import batch as batching
    course = courses.named(course_name).assignment(list(only) or None)  # an unknown id is refused first
    total = len(batching.folders_to_grade(folder, out=out, reports=reports))
    with click.progressbar(length=total, label="Grading", item_show_func=lambda name: name,
                           file=sys.stderr) as bar:
        rows = batching.grade_batch(root=folder, out=out, reports=reports, jobs=jobs, require_gpu=require_gpu,
                                    course=course, sandbox=sandbox,
                                    on_result=lambda row: bar.update(1, row.name))
    graded = [r for r in rows if r.report is not None]
    click.echo(f"Graded {len(graded)}/{len(rows)} submissions → {out}")
    for row in rows:
        if row.report is None:
            click.echo(f"  {term.mark('error')} {row.name}: {row.note}")
