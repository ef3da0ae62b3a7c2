"""`%load_ext grader` and `%kata` in a real Jupyter kernel (nbclient + ipykernel), as on Colab.

The kernel is a separate process started by jupyter_client; each test runs cells in it one at a
time and reads what they displayed (the stream text and the display_data mimebundles) and what
the grade wrote to the workspace (.kata/results.json).
"""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from grader import notebook
from grader.render.pages import render_html
from grader.results import CheckResult, ExerciseResult, GradeReport

from .conftest import FAKE_COURSE, SUBMISSIONS

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "numpy", "pytest")


class Kernel:
    """A Jupyter kernel started in `cwd`; `run(code)` executes one cell and returns its outputs."""

    def __init__(self, cwd: Path):
        import nbformat
        from nbclient import NotebookClient
        self.nb = nbformat.v4.new_notebook()
        self.client = NotebookClient(self.nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(cwd)}})

    def __enter__(self):
        self._setup = self.client.setup_kernel()
        self._setup.__enter__()
        return self

    def __exit__(self, *exc):
        return self._setup.__exit__(*exc)

    def run(self, code: str) -> "Outputs":
        import nbformat
        cell = nbformat.v4.new_code_cell(code)
        self.nb.cells.append(cell)
        self.client.execute_cell(cell, len(self.nb.cells) - 1)  # raises if the cell raised
        return Outputs(cell.outputs)


class Outputs:
    def __init__(self, outputs):
        self.outputs = outputs

    def text(self, name: str = "stdout") -> str:
        """What the cell printed on one stream, without colours (a kernel keeps click's)."""
        import click
        return click.unstyle("".join(o["text"] for o in self.outputs
                                     if o["output_type"] == "stream" and o["name"] == name))

    @property
    def displayed(self) -> list[dict]:
        return [o["data"] for o in self.outputs if o["output_type"] == "display_data"]

    def report_page(self) -> str:
        """The html report the cell displayed (the page inside the inline frame)."""
        (data,) = self.displayed
        assert set(data) >= {"text/html", "text/plain"}, data.keys()
        found = re.search(r'<iframe class="kata-report"[^>]* srcdoc="([^"]*)"', data["text/html"])
        assert found, data["text/html"][:300]
        return html.unescape(found.group(1))


@pytest.fixture
def kernel_env(monkeypatch):
    """The kernel imports grader from this checkout and uses the shipped course."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.delenv("KATA_COURSE", raising=False)


def results(space: Path) -> GradeReport:
    return GradeReport.load(space / ".kata" / "results.json")


def expected_phrase(mutant: Path) -> str:
    return re.search(r"^expect: (.+)$", mutant.read_text(encoding="utf-8"), re.M).group(1).strip()


def test_check_in_a_kernel_shows_the_html_report_and_saves_results(tmp_path, kernel_env):
    space = tmp_path / "kata"
    target = space / "exercises" / "02_from_scratch" / "linear_regression_numpy.py"
    reference = ROOT / "solutions" / "02_from_scratch" / "linear_regression_numpy.py"
    mutant = ROOT / "tests" / "mutants" / "linear_regression_numpy" / "missing_factor_two.py"
    with Kernel(tmp_path) as kernel:
        pid = kernel.run("import os, sys\nprint(os.getpid())").text().strip()
        kernel.run("%load_ext grader")
        made = kernel.run(f"%kata init {space}")
        assert target.is_file() and str(space) in made.text()

        shutil.copyfile(reference, target)  # what saving the file in the platform's editor does
        passed = kernel.run("%kata check linear_regression_numpy")
        saved = results(space)
        result = saved.get("linear_regression_numpy")
        assert result.status == "passed" and result.score == result.max_score > 0
        page = passed.report_page()
        assert page == render_html(saved)  # the `kata report --format html` page of what was saved
        assert f"{result.score:g}/{result.max_score:g}" in page
        plain = passed.displayed[0]["text/plain"]
        assert "Linear regression from scratch in NumPy" in plain and "passed" in plain
        out = passed.text()
        assert notebook.device_line(saved) in out and re.search(r"^(ran on GPU: .+|no GPU: .+)$", out, re.M)
        assert "Passed! next: autograd_basics" in out

        shutil.copyfile(mutant, target)
        failed = kernel.run("%kata check linear_regression_numpy")
        saved = results(space)
        result = saved.get("linear_regression_numpy")
        assert result.status == "failed" and 0 < result.score < result.max_score
        page = failed.report_page()
        assert page == render_html(saved)
        assert html.escape(expected_phrase(mutant)) in page  # the likely mistake, named in the report
        assert "Passed!" not in failed.text()

        listed = kernel.run("%kata list").text()
        assert re.search(r"linear_regression_numpy\s+\d+/\d+\s+failed", listed), listed
        after = kernel.run(f"print(os.getpid(), sorted(m for m in {HEAVY!r} if m in sys.modules))").text()
        assert after.strip().split(maxsplit=1) == [pid, "[]"]  # the same kernel, and grading imported no torch into it


def test_learner_code_that_hangs_or_exits_cannot_stop_the_kernel(tmp_path, kernel_env, monkeypatch):
    monkeypatch.setenv("KATA_COURSE", str(FAKE_COURSE))
    space = tmp_path / "ws"
    target = space / "exercises" / "01_basics" / "adder.py"
    with Kernel(tmp_path) as kernel:
        pid = kernel.run("import os\nprint(os.getpid())").text().strip()
        kernel.run(f"%load_ext grader\n%kata init {space}")

        shutil.copyfile(SUBMISSIONS / "adder" / "hang_in_mul.py", target)
        hung = kernel.run("%kata check adder")
        result = results(space).get("adder")
        assert result.status == "timeout" and 0 < result.score < result.max_score
        assert "mul" in result.message
        assert hung.report_page() == render_html(results(space))

        shutil.copyfile(SUBMISSIONS / "adder" / "os_exit_import.py", target)
        exited = kernel.run("%kata check adder")
        result = results(space).get("adder")
        assert result.status == "error" and result.score == 0
        assert exited.report_page() == render_html(results(space))

        later = kernel.run("print(6 * 7, os.getpid())").text().split()
        assert later == ["42", pid]


def _grading_child(marker: str, timeout: float = 120) -> int:
    """The pid of the `kata grade` process whose command line names `marker`, once it runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in Path("/proc").iterdir():
            try:
                cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if notebook.CHILD.encode() in cmdline and any(marker.encode() in part for part in cmdline):
                return int(proc.name)
        time.sleep(0.1)
    raise AssertionError("the grading process never started")


def _alive(pid: int) -> bool:
    """Running (a killed orphan may linger as a zombie until the system reaps it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the grading process through /proc")
def test_interrupting_the_kernel_stops_the_grade_and_keeps_the_kernel(tmp_path, kernel_env, monkeypatch):
    monkeypatch.setenv("KATA_COURSE", str(FAKE_COURSE))
    space = tmp_path / "ws"
    with Kernel(tmp_path) as kernel:
        pid = int(kernel.run(f"import os\nprint(os.getpid())\n%load_ext grader\n%kata init {space}\nx = 41")
                  .text().split()[0])
        shutil.copyfile(SUBMISSIONS / "adder" / "hang_import.py", space / "exercises" / "01_basics" / "adder.py")
        found = {}

        def interrupt():
            found["pid"] = _grading_child(str(space))
            deadline = time.monotonic() + 120
            members = []
            while time.monotonic() < deadline:  # until the runner's children have started and stay
                # (a short-lived helper, such as the probe that bubblewrap runs, is not one of them)
                members = notebook.session_members(found["pid"])
                time.sleep(0.5)
                if len(members) >= 2 and set(members) <= set(notebook.session_members(found["pid"])):
                    break
            found["members"] = members
            os.kill(pid, signal.SIGINT)  # the notebook's interrupt button (a kernel's interrupt mode: signal)

        pressing = threading.Thread(target=interrupt)
        pressing.start()
        stopped = kernel.run("%kata check adder")
        pressing.join()
        assert "Stopped grading." in stopped.text("stderr")
        assert len(found["members"]) >= 2, found
        assert not any(_alive(member) for member in found["members"])  # the learner's hanging code too
        assert not Path(f"/proc/{found['pid']}").exists()  # stopped and reaped
        assert not (space / ".kata" / "results.json").exists()  # the interrupt, not the time limit, ended it
        assert kernel.run("print(x + 1)").text().strip() == "42"


def test_a_remembered_workspace_is_used_from_any_directory(tmp_path, kernel_env, monkeypatch):
    """`%kata init DIR` (or `%kata use DIR`) holds for later magics, wherever the kernel's cwd is;
    errors are one line on stderr and the cell goes on."""
    monkeypatch.setenv("KATA_COURSE", str(FAKE_COURSE))
    space, elsewhere = tmp_path / "ws", tmp_path / "elsewhere"
    elsewhere.mkdir()
    with Kernel(elsewhere) as kernel:
        kernel.run("%load_ext grader")
        assert "not inside a kata workspace" in kernel.run("%kata").text("stderr")
        kernel.run(f"%kata init {space}")
        assert "Hint 1/2 for adder" in kernel.run("%kata hint").text()
        assert json.loads((space / ".kata" / "hints.json").read_text()) == {"adder": 1}
        wrong = kernel.run("%kata use /\n%kata watch\n%kata check no_such_exercise")
        errors = wrong.text("stderr")
        assert "/ is not a kata workspace" in errors and "kata watch needs a terminal" in errors
        assert "no_such_exercise" in errors and not (space / ".kata" / "results.json").exists()
        assert "Next: Adding and multiplying" in kernel.run(f"%kata --workspace {space} next").text()


# --- the pieces, without a kernel -----------------------------------------------------------------

@pytest.mark.parametrize("line, args, workspace", [
    ("", ("next",), None),
    ("check conv2d", ("check", "conv2d"), None),
    ("--workspace /content/kata check", ("check",), Path("/content/kata")),
    ("-w '/my drive/kata'", ("next",), Path("/my drive/kata")),
    ("--workspace=/w grade --jobs 2", ("grade", "--jobs", "2"), Path("/w")),
])
def test_parse_reads_the_command_line_words(line, args, workspace):
    call = notebook.parse(line)
    assert (call.args, call.workspace) == (args, workspace)


@pytest.mark.parametrize("line, bad", [("check 'conv2d", "cannot read"), ("--workspace", "needs a folder")])
def test_parse_refuses_unreadable_words(line, bad):
    with pytest.raises(ValueError, match=bad):
        notebook.parse(line)


def test_the_remembered_workspace_goes_to_the_verbs_that_take_one():
    ws = Path("/content/kata")
    assert notebook.parse("hint", ws).with_workspace() == ["hint", "--workspace", "/content/kata"]
    assert notebook.parse("check -w /other", ws).with_workspace() == ["check", "-w", "/other"]
    assert notebook.parse("init /x", ws).with_workspace() == ["init", "/x"]
    assert notebook.parse("dev check --only losses", ws).with_workspace() == ["dev", "check", "--only", "losses"]


def _report(environment: dict, *checks: CheckResult) -> GradeReport:
    return GradeReport((ExerciseResult("finetune_resnet18", "Fine-tuning", "exercises/x.py", checks),),
                       environment=environment)


def test_the_device_line_says_where_the_checks_ran():
    gpu = _report({"device": "cuda", "gpu": "NVIDIA H200"}, CheckResult("fine_tune_on_gpu", "passed"))
    assert notebook.device_line(gpu) == "ran on GPU: NVIDIA H200"
    skipped = _report({"device": "cpu"}, CheckResult("evaluate_accuracy", "passed"),
                      CheckResult("train_one_epoch_on_gpu", "skipped", message="needs GPU"),
                      CheckResult("fine_tune_on_gpu", "skipped", message="needs GPU"))
    line = notebook.device_line(skipped)
    assert line.startswith("no GPU: the GPU checks were skipped (2: finetune_resnet18: train_one_epoch_on_gpu,")
    assert "Change runtime type" in line
    assert notebook.device_line(_report({"device": "cpu"}, CheckResult("pick_device", "failed"))) \
        == "no GPU: ran on the CPU"


def test_the_inline_report_is_the_html_page_in_a_frame_of_its_own():
    report = _report({"device": "cpu"}, CheckResult("pick_device", "failed", message='"<b>" & more'))
    frame = notebook.report_html(report)
    assert frame.startswith('<iframe class="kata-report"') and frame.count("<") == 2  # the page is escaped
    assert html.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1)) == render_html(report)


@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs a GPU (the CPU case is tested above)")
def test_a_kernel_that_holds_cuda_grades_finetune_on_the_gpu(tmp_path, kernel_env):
    """A kernel that initialised CUDA and holds GPU memory: the grade runs in its own process,
    runs the CUDA checks and says so."""
    with Kernel(tmp_path) as kernel:
        kernel.run("import torch\nheld = torch.ones(1 << 20, device='cuda')\n%load_ext grader")
        graded = kernel.run("%kata check finetune_resnet18 --solutions")
        out = graded.text()
        assert f"ran on GPU: {__import__('torch').cuda.get_device_name(0)}" in out
        page = graded.report_page()
        assert "train_one_epoch_on_gpu" in page and "needs GPU" not in page
        assert re.search(r"finetune_resnet18\s+(\d+)/\1\s+passed", out), out


# --- installing next to a notebook's own torch ------------------------------------------------------

def _pip_dry_run(tmp_path: Path, site: Path | None = None) -> tuple[subprocess.CompletedProcess, list[str]]:
    """What `pip install .` would install into this environment (offline: nothing may be fetched).

    The project is this checkout's pyproject.toml and README; its build backend is the installed
    setuptools, and no pip configuration of this machine is read (its constraints are this
    machine's, not the product's).
    """
    project = tmp_path / "project"
    (project / "grader").mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(ROOT / name, project / name)
    (project / "grader" / "__init__.py").write_text("")
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    env.pop("PIP_CONSTRAINT", None)
    if site is not None:
        env["PYTHONPATH"] = str(site)
    report = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "--no-build-isolation",
                           "--quiet", "--report", str(report), str(project)],
                          env=env, capture_output=True, text=True, timeout=300)
    installs = [item["metadata"]["name"] for item in json.loads(report.read_text())["install"]] \
        if report.exists() else []
    return done, installs


def test_installing_keeps_the_torch_of_this_environment(tmp_path):
    done, installs = _pip_dry_run(tmp_path)
    assert done.returncode == 0 and installs == ["dl-kata"], done.stderr[-3000:] + str(installs)


def test_installing_keeps_a_newer_torch_as_on_colab(tmp_path):
    """An environment with a torch, torchvision and numpy newer than any released: pip keeps them
    (an upper cap or a pin would make it replace them, or give up)."""
    site = tmp_path / "site"
    for name in ("torch", "torchvision", "numpy"):
        info = site / f"{name}-99.0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 99.0\n")
    done, installs = _pip_dry_run(tmp_path, site)
    assert done.returncode == 0 and installs == ["dl-kata"], done.stderr[-3000:] + str(installs)


# --- the extension stays light -------------------------------------------------------------------

LIGHT_PROBE = """
import json, sys
import grader
assert not any(m in sys.modules for m in ("IPython", "click")), "importing grader imported IPython or click"
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_line_magic("load_ext", "grader")
for line in ("", "list", "hint"):
    shell.run_line_magic("kata", line)
print("HEAVY=" + json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
""".format(heavy=HEAVY)


def test_loading_the_extension_imports_no_torch(workspace):
    env = dict(os.environ, KATA_COURSE=str(FAKE_COURSE),
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, "-c", LIGHT_PROBE], cwd=workspace.root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Next: Adding and multiplying" in done.stdout and "Hint 1/2 for adder" in done.stdout
    assert done.stdout.rstrip().splitlines()[-1] == "HEAVY=[]", done.stdout
