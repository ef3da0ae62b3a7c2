"""`%load_ext grader`, then `%kata ...`: the kata command in Jupyter, Colab, Kaggle or IPython.

`%kata` takes the words of the command line (`%kata`, `%kata check conv2d`, `%kata hint`,
`%kata list`, `%kata grade`, `%kata init /content/kata`, ...). Verbs that only read or write the
workspace run the click command in the kernel: they are light (no torch). Verbs that grade run
`kata grade ... --format json --out TMP` in a fresh Python process, never a fork of the kernel, so
a kernel that has initialised CUDA (which a forked child cannot use) or holds GPU memory grades
like any other, and learner code that hangs, crashes or calls os._exit ends only that process.
The grade is shown inline as the html report (`kata report --format html`), with plain text for
front ends that have no html.

The notebook remembers its workspace: `%kata init DIR` and `%kata use DIR` choose it for the
later magics; without one, the workspace is found from the kernel's current directory, as on the
command line. `%kata --workspace DIR ...` names one for a single call.

Importing this module imports nothing heavy; IPython, click and the grader's modules are imported
when a magic runs, and grading never imports torch into the kernel.
"""
from __future__ import annotations

import html
import os
import shlex
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

GRADING = ("check", "grade")  # shown inline as the html report
OUT_OF_KERNEL = ("dev", "batch")  # grade too, but print text: run in a child and stream it
TAKE_WORKSPACE = ("next", "list", "check", "hint", "grade", "solution", "reset", "report")
INTERRUPTED = 130  # run_child's status when the kernel was interrupted (as a shell's 128 + SIGINT)
CHILD = "from grader.cli import cli; cli(prog_name='kata')"
GPU_RUNTIME_TIP = ("On Colab: Runtime > Change runtime type > a GPU; on Kaggle: Settings > Accelerator;"
                   " then run the cells again.")


@dataclass(frozen=True)
class Call:
    """What one `%kata` line asks for: the command line's words, and where."""
    args: tuple[str, ...]  # the words for `kata`, starting with the verb
    workspace: Path | None  # named for this call, or remembered by the notebook

    @property
    def verb(self) -> str:
        return self.args[0]

    def with_workspace(self) -> list[str]:
        """The words, with --workspace added for the verbs that take one (unless given)."""
        args = list(self.args)
        if self.workspace is None or self.verb not in TAKE_WORKSPACE or names_workspace(args[1:]):
            return args
        return [args[0], "--workspace", str(self.workspace), *args[1:]]


def parse(line: str, remembered: Path | None = None) -> Call:
    """`%kata`'s line as a Call; a leading `--workspace DIR` (or `-w DIR`) applies to this call.

    Raises ValueError with a one-line message when the words cannot be read.
    """
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise ValueError(f"cannot read `{line.strip()}`: {exc}") from None
    workspace = remembered
    while words and (words[0] in ("--workspace", "-w") or words[0].startswith("--workspace=")):
        if "=" in words[0]:
            workspace, words = Path(words[0].split("=", 1)[1]), words[1:]
        elif len(words) < 2:
            raise ValueError(f"{words[0]} needs a folder, e.g. %kata {words[0]} /content/kata check")
        else:
            workspace, words = Path(words[1]), words[2:]
    return Call(tuple(words or ["next"]), workspace)


def names_workspace(words: list[str]) -> bool:
    return any(w in ("-w", "--workspace") or w.startswith("--workspace=") or (w.startswith("-w") and len(w) > 2)
               for w in words)


class KataMagic:
    """The `%kata` line magic of one IPython shell; it remembers the workspace chosen."""

    def __init__(self) -> None:
        self.workspace: Path | None = None

    def __call__(self, line: str = "") -> None:
        """The kata command in a notebook: `%kata` takes the same words as `kata`.

        %kata                    your next exercise (= %kata next)
        %kata init /content/kata a fresh workspace; this notebook then uses it
        %kata use DIR            use an existing workspace (%kata use: which one)
        %kata check [ID]         grade one exercise in a separate process; the report inline
        %kata grade [ID...]      grade every exercise (or the ones named)
        %kata hint | list | solution ID | reset ID | report | --help
        """
        try:
            call = parse(line, self.workspace)
        except ValueError as exc:
            _error(str(exc))
            return
        if call.verb == "use":
            self._use(call)
        elif call.verb == "watch":
            _error("kata watch needs a terminal. In a notebook: save the file in the editor, then run %kata check")
        elif call.verb in GRADING:
            grade_inline(call)
        elif call.verb in OUT_OF_KERNEL:
            run_child(call.with_workspace())
        elif call.verb == "report":
            show_last_report(call)
        else:
            status = run_click(call.with_workspace())
            made = Path(call.args[-1]).expanduser()
            if call.verb == "init" and status == 0 and (made / "exercises" / "manifest.toml").is_file():
                self.workspace = made.resolve()
                print(f"This notebook now uses {self.workspace}: open its exercises/ folder in the editor,"
                      " save your file, then run %kata check. %kata shows your next exercise.")

    def _use(self, call: Call) -> None:
        if len(call.args) == 1:
            where = self.workspace or "the one found from the current directory"
            print(f"kata workspace: {where}")
            return
        from .workspace import WorkspaceError, find
        try:
            space = find(explicit=Path(call.args[1]).expanduser())
        except WorkspaceError as exc:
            _error(f"kata: {exc}")
            return
        self.workspace = space.root
        print(f"This notebook now uses the kata workspace {space.root}.")


def load_ipython_extension(ipython) -> None:
    """Register `%kata` (called by `%load_ext grader`)."""
    ipython.register_magic_function(KataMagic(), magic_kind="line", magic_name="kata")


# --- verbs that run in the kernel ---------------------------------------------------------------

def run_click(args: list[str]) -> int:
    """Run the `kata` click command in this process; its exit status (errors are one line)."""
    import click

    from .cli import cli
    try:
        result = cli.main(args=args, prog_name="kata", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        _error("Aborted.")
        return 1
    except SystemExit as exc:  # the CLI's expected errors: already one line on stderr
        return exc.code if isinstance(exc.code, int) else 1
    return result if isinstance(result, int) else 0


def show_last_report(call: Call) -> None:
    """`%kata report`: the last results of the workspace, inline (a file format or --out: the CLI)."""
    from . import api, cli
    params = command_params(cli.report, call)
    if params is None:
        return
    if params["fmt"] != "html" or params["out"] or params["open_"]:
        run_click(call.with_workspace())
        return
    try:
        last = api.open_workspace(workspace=params["workspace"] or call.workspace).load_results()
    except cli.EXPECTED as exc:
        _error(f"kata: {exc}")
        return
    if last is None:
        _error("kata: no results yet in this workspace; run %kata check or %kata grade first")
        return
    from .render import terminal
    show_report(last, terminal.report_summary(last))


def command_params(command, call: Call) -> dict | None:
    """The call's options, read by the CLI's own click command (None: help or an error was shown)."""
    import click
    try:
        with command.make_context(f"kata {call.verb}", list(call.args[1:])) as ctx:
            return ctx.params
    except click.exceptions.Exit:  # --help was printed
        return None
    except click.ClickException as exc:
        exc.show()
        return None


# --- grading, in a separate process -------------------------------------------------------------

def grade_inline(call: Call) -> int | None:
    """`%kata check` / `%kata grade`: grade in a child process, show the html report inline."""
    from . import api, cli
    params = command_params(cli.check if call.verb == "check" else cli.grade, call)
    if params is None:
        return 2
    if call.verb == "grade" and (params["fmt"] or params["out"]):
        return run_child(call.with_workspace())  # a file format was asked for: the CLI writes it
    try:
        space = api.open_workspace(workspace=params["workspace"] or call.workspace, solutions=params["solutions"])
        ids = [api.resolve(params["exercise_id"], workspace=space).id] if call.verb == "check" else list(params["ids"])
    except cli.EXPECTED as exc:
        _error(f"kata: {exc}")
        return 2
    args = ["grade", *ids, "--solutions" if params["solutions"] else f"--workspace={space.root}"]
    if call.verb == "grade":
        args += ["--jobs", str(params["jobs"])] + (["--require-gpu"] if params["require_gpu"] else [])
        if params["min_score"] is not None:
            args += ["--min-score", str(params["min_score"])]
    print(f"Grading {', '.join(ids) or 'every exercise'} in a separate process…", flush=True)
    with tempfile.TemporaryDirectory(prefix="kata-") as tmp:
        out = Path(tmp) / "results.json"
        status = run_child([*args, "--format", "json", "--out", str(out)])
        if status == INTERRUPTED:
            return status
        if not out.is_file():
            _error(f"kata: grading ended without a result (exit status {status}); the lines above say why.")
            return status
        from .results import GradeReport, ResultsError
        try:
            report = GradeReport.load(out)
        except ResultsError as exc:
            _error(f"kata: {exc}")
            return 2
    from .render import terminal
    print(device_line(report))
    if call.verb == "check":
        result = report.exercises[0]
        show_report(report, terminal.exercise_detail(result))
        if result.passed and not params["solutions"]:
            following = api.next_exercise(workspace=space)
            nxt = f"next: {following.spec.id} (%kata)" if following.spec else "that was the last one!"
            print(f"Passed! {nxt}")
    else:
        show_report(report, "\n\n".join(terminal.exercise_detail(e) for e in report.exercises if not e.passed)
                    or terminal.report_summary(report))
    return status


def run_child(args: list[str]) -> int:
    """Run `kata ARGS` in a fresh Python process, its output streamed into the cell.

    Its own session: an interrupt of the kernel stops it and every process it started, and
    nothing it does (hang, crash, os._exit, CUDA) reaches the kernel.
    """
    package_parent = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH")) if p)
    child = subprocess.Popen([sys.executable, "-c", CHILD, *args], env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
                             start_new_session=True)
    try:
        for line in child.stdout:
            print(line, end="", flush=True)
        return child.wait()
    except KeyboardInterrupt:
        _stop(child)
        _error("Stopped grading.")
        return INTERRUPTED
    finally:
        if child.poll() is None or session_members(child.pid):  # a process it left behind, too
            _stop(child)
        child.stdout.close()


def _stop(child: subprocess.Popen) -> None:
    """Kill the grading process and everything it started, then reap it.

    The runner puts each graded child in a process group of its own, so killing the grading
    process's group is not enough: every process of its session goes (learner code that hangs
    would otherwise spin on, orphaned, for as long as the kernel lives).
    """
    for _ in range(50):  # a process may fork while we look; look again until none is left
        members = session_members(child.pid)
        if not members:
            break
        for pid in members:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if child.poll() is None:
            child.wait(timeout=5)
    try:
        os.killpg(child.pid, signal.SIGKILL)  # where there is no /proc (macOS): the group at least
    except (ProcessLookupError, PermissionError):
        pass
    child.wait()


def session_members(session: int) -> list[int]:
    """The live processes of a session (Linux /proc; [] elsewhere). Zombies are left to reap."""
    members = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 3 and fields[0] != "Z" and int(fields[3]) == session:  # state ppid pgrp session
            members.append(int(entry.name))
    return members


# --- what the cell shows ------------------------------------------------------------------------

def device_line(report) -> str:
    """Where the checks ran, and what a missing GPU cost: the notebook's first question."""
    info = report.environment or {}
    if info.get("device") == "cuda":
        return f"ran on GPU: {info.get('gpu') or 'CUDA'}"
    skipped = [f"{e.id}: {c.name}" for e in report.exercises for c in e.checks
               if c.outcome == "skipped" and "GPU" in c.message]
    if skipped:
        return (f"no GPU: the GPU checks were skipped ({len(skipped)}: {', '.join(skipped)}); they are left out"
                f" of the score. {GPU_RUNTIME_TIP}")
    return "no GPU: ran on the CPU"


def report_html(report) -> str:
    """The html report (the `kata report --format html` page) in an iframe of its own.

    The page is a whole document with page-wide CSS; in its own frame it cannot restyle the
    notebook, and the frame grows to the page's height.
    """
    from .render.pages import render_html
    page = render_html(report)
    resize = ("var f=this,d=f.contentWindow.document.documentElement,"
              "s=function(){f.style.height=(d.scrollHeight+4)+'px'};s();"
              "if(window.ResizeObserver){new ResizeObserver(s).observe(d)}")
    return (f'<iframe class="kata-report" title="kata report" srcdoc="{html.escape(page, quote=True)}"'
            f' style="width:100%;height:520px;border:0" onload="{html.escape(resize, quote=True)}"></iframe>')


def show_report(report, plain: str) -> None:
    """Display the report: html where the front end has it, else the plain text."""
    from IPython.display import display
    display({"text/plain": plain, "text/html": report_html(report)}, raw=True)


def _error(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
