"""Every format renders the same GradeReport, and a score reads the same in each of them."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from grader.render import FORMATS, render
from grader.render import github
from grader.render.classroom import BUDGET, decode, runner_dict, runners
from grader.render.pages import fence, md_inline
from grader.results import CheckResult, ExerciseResult, GradeReport

from .report_samples import REFERENCE, YOURS, expected_totals, sample_report

GOLDEN = Path(__file__).parent / "golden"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def report() -> GradeReport:
    return sample_report()


def counted(report):
    return [(e, c) for e in report.exercises for c in e.checks if c.counts]


# --- every format, same totals ------------------------------------------------------------------

def totals_in(fmt: str, text: str) -> tuple[float, float]:
    """(score, max_score) as a consumer of that format would compute them."""
    if fmt == "json":
        data = json.loads(text)
        return data["score"], data["max_score"]
    if fmt == "gradescope":
        data = json.loads(text)
        assert data["score"] == sum(t["score"] for t in data["tests"])
        return data["score"], sum(t["max_score"] for t in data["tests"])
    if fmt == "classroom":  # NAME=BASE64 per runner; Classroom adds up runners with a max_score
        datas = [decode(line.split("=", 1)[1]) for line in text.splitlines()]
        return (sum(t["score"] for d in datas if d["max_score"] for t in d["tests"]),
                sum(d["max_score"] for d in datas))
    if fmt == "junit":
        root = ET.fromstring(text)
        points = [float(p.get("value")) for p in root.iter("property") if p.get("name") == "points"]
        maxima = [float(case.find("properties/property[@name='max_points']").get("value"))
                  for case in root.iter("testcase") if case.find("skipped") is None]
        return sum(points), sum(maxima)
    match = re.search(r"(\d+(?:\.\d+)?)/(\d+(?:\.\d+)?)", text.split("\n## ")[0] if fmt == "md" else
                      re.search(r'<div class="total".*?</div>', text, re.S).group(0))
    return float(match.group(1)), float(match.group(2))


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_gives_the_same_total(report, fmt):
    assert (report.score, report.max_score) == expected_totals()
    assert totals_in(fmt, render(report, fmt)) == expected_totals()


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_report_renders_in_every_format(fmt):
    text = render(GradeReport(exercises=()), fmt)
    assert text.strip() or fmt == "classroom"  # no exercise, no runner
    assert totals_in(fmt, text) == (0, 0)


def test_unknown_format_is_refused(report):
    with pytest.raises(ValueError, match="unknown format"):
        render(report, "pdf")


# --- gradescope ---------------------------------------------------------------------------------

def test_gradescope_results_json(report):
    data = json.loads(render(report, "gradescope"))
    assert data["visibility"] == "visible" and isinstance(data["output"], str)
    tests = data["tests"]
    for t in tests:
        assert set(t) >= {"name", "score", "max_score", "status", "output", "visibility"}
        assert t["status"] in ("passed", "failed") and t["visibility"] == "visible"
        assert 0 <= t["score"] <= t["max_score"] or t["max_score"] == 0
    by_name = {t["name"]: t for t in tests}
    assert by_name["losses: cross_entropy"]["status"] == "failed"
    assert "log-softmax" in by_name["losses: cross_entropy"]["output"]
    assert by_name["autograd_basics: gradient"] == {**by_name["autograd_basics: gradient"],
                                                    "score": 2.0, "max_score": 2.0, "status": "passed"}
    assert "losses: on_gpu" not in by_name  # skipped checks are not counted, so not listed
    assert "needs GPU" in data["output"]
    # a timeout's check without its own message explains itself with the exercise's
    assert "Timed out" in by_name["finetune_resnet18: converges"]["output"]
    assert len(tests) == len(counted(report))


GS_FORMATS = {"text", "html", "simple_format", "md", "ansi"}  # Gradescope's output formats
GS_VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
GS_TOP = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
          "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
GS_TEST = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags",
           "visibility", "extra_data"}


def gradescope_problems(data: dict) -> list[str]:
    """results.json checked against Gradescope's autograder specification (its documented fields
    and values): unknown fields, wrong types, an output Gradescope would read as HTML."""
    problems = [f"unknown top-level field {k}" for k in set(data) - GS_TOP]
    for key in ("output_format", "test_output_format", "test_name_format"):
        if key in data and data[key] not in GS_FORMATS:
            problems.append(f"{key}: {data[key]!r}")
    for key in ("visibility", "stdout_visibility"):
        if key in data and data[key] not in GS_VISIBILITY:
            problems.append(f"{key}: {data[key]!r}")
    if data.get("output") and data.get("output_format", "simple_format") in ("html", "simple_format"):
        problems.append("the summary would be read as HTML")
    for t in data.get("tests", []):
        problems += [f"{t.get('name')}: unknown field {k}" for k in set(t) - GS_TEST]
        if not isinstance(t.get("score"), (int, float)) or not isinstance(t.get("max_score"), (int, float)):
            problems.append(f"{t.get('name')}: score and max_score must be numbers")
        if t.get("status") not in (None, "passed", "failed"):
            problems.append(f"{t.get('name')}: status {t.get('status')!r}")
        if t.get("visibility", "visible") not in GS_VISIBILITY:
            problems.append(f"{t.get('name')}: visibility {t.get('visibility')!r}")
        fmt = t.get("output_format", data.get("test_output_format", "simple_format"))
        if fmt not in GS_FORMATS or (t.get("output") and fmt in ("html", "simple_format")):
            problems.append(f"{t.get('name')}: output would be read as HTML ({fmt})")
    if "score" in data and abs(data["score"] - sum(t["score"] for t in data.get("tests", []))) > 1e-9:
        problems.append("the top-level score overrides the tests' sum and differs from it")
    return problems


def test_gradescope_follows_its_specification(report):
    tensor = ExerciseResult("x", "X", "x.py", checks=(
        CheckResult("dtype", "failed", 1, "got <class 'torch.Tensor'>, expected \x1b[1m<class 'float'>\x1b[0m"),))
    for r in (report, GradeReport((tensor,)), GradeReport(())):
        data = json.loads(render(r, "gradescope"))
        assert gradescope_problems(data) == []
        assert data["output_format"] == data["test_output_format"] == "text"
    test = json.loads(render(GradeReport((tensor,)), "gradescope"))["tests"][0]
    assert test["output"] == "got <class 'torch.Tensor'>, expected <class 'float'>" and test["output_format"] == "text"
    # the checker itself: the old results.json, without a format, would be read as HTML
    assert "the summary would be read as HTML" in gradescope_problems({"score": 0, "output": "a", "tests": []})


# --- classroom ----------------------------------------------------------------------------------

def test_classroom_is_a_runner_per_exercise(report):
    text = render(report, "classroom")
    lines = text.splitlines()
    assert [line.split("=", 1)[0] for line in lines] == [e.id.replace("_", "") for e in report.exercises]
    for line, e in zip(lines, report.exercises):
        name, value = line.split("=", 1)
        assert re.fullmatch(r"[A-Za-z0-9]+", name) and re.fullmatch(r"[A-Za-z0-9+/=]+", value)
        data = decode(value)
        assert data == runner_dict(e) and data["version"] == 1
        assert data["status"] == "pass"  # kata graded it; each test says how its points went
        assert data["max_score"] == e.max_score and sum(t["max_score"] for t in data["tests"]) == e.max_score
        assert sum(t["score"] for t in data["tests"]) == e.score
        assert data["tests"], "the reporter divides by the number of tests"
    by_exercise = {r.exercise_id: decode(r.value) for r in runners(report)}
    losses = by_exercise["losses"]["tests"]  # mse (1 point), cross_entropy (2 points); on_gpu skipped
    assert [t["name"] for t in losses] == ["mse (1 point)", "cross_entropy", "cross_entropy (part 2 of 2)"]
    assert [t["status"] for t in losses] == ["pass", "error", "fail"]
    assert losses[1]["message"].startswith("cross_entropy (0/2): cross_entropy(logits, y) is 2.31")
    assert losses[1]["line_no"] == 17
    pooling = by_exercise["pooling"]["tests"]  # untouched: a short line each, no message
    assert pooling[0]["name"] == "max_pool (1 point): not implemented yet" and "message" not in pooling[0]
    boxes = by_exercise["boxes"]  # skipped here: one zero-point line that says why
    assert boxes["max_score"] == 0 and boxes["tests"][0]["name"] == "skipped: needs torchvision"


def test_an_exercise_wide_error_is_shown_once():
    message = "Traceback (most recent call last):\n" + "  File \"x.py\", line 3\n" * 200
    checks = tuple(CheckResult(f"c{i}", "error", 2, message) for i in range(10))
    e = ExerciseResult("x", "X", "exercises/x.py", checks=checks, message=message, fault="error")
    tests = runner_dict(e)["tests"]
    assert sum(1 for t in tests if "message" in t) == 1
    assert tests[0]["message"].count("[cut: ") == 1  # long, so cut with a marker
    assert tests[1]["name"] == "c0 (part 2 of 2)" and tests[2]["name"] == "c1 (2 points): see the error above"


def test_every_runner_stays_under_the_budget_even_when_every_check_fails_at_length():
    checks = tuple(CheckResult(f"check_{i}[{'x' * 300}]", "failed", 4, f"wrong {i}: " + "y" * 20000, line=i + 1)
                   for i in range(60))
    e = ExerciseResult("huge", "Huge", "exercises/huge.py", checks=checks)
    (runner,) = runners(GradeReport((e,)))
    assert len(runner.value) <= BUDGET
    data = decode(runner.value)
    assert sum(t["max_score"] for t in data["tests"]) == 240 and len(data["tests"]) == 240  # a test a point
    assert all("[cut: " in t["message"] for t in data["tests"] if "message" in t)


# --- junit --------------------------------------------------------------------------------------

def test_junit_xml(report):
    root = ET.fromstring(render(report, "junit"))
    assert root.tag == "testsuites"
    cases = list(root.iter("testcase"))
    assert len(cases) == sum(len(e.checks) for e in report.exercises)
    assert int(root.get("tests")) == len(cases)
    assert [s.get("name") for s in root.iter("testsuite")] == [e.id for e in report.exercises]
    case = root.find("testsuite[@name='losses']/testcase[@name='cross_entropy']")
    failure = case.find("failure")
    assert failure is not None and "log-softmax" in failure.text
    assert failure.get("message").startswith("cross_entropy(logits, y) is 2.31")
    assert case.get("line") == "17" and case.get("file") == "exercises/03_losses/losses.py"
    assert root.find("testsuite[@name='losses']/testcase[@name='on_gpu']/skipped") is not None
    assert root.find("testsuite[@name='conv2d']/testcase[@name='shape']/error") is not None
    passed = root.find("testsuite[@name='autograd_basics']/testcase[@name='gradient']")
    assert list(passed.iter("failure")) == [] and list(passed.iter("error")) == []
    assert int(root.get("failures")) == sum(c.outcome == "failed" for e in report.exercises for c in e.checks)
    assert "<script>" in root.find("testsuite[@name='losses']/system-out").text


def test_junit_survives_control_characters_in_output():
    ex = ExerciseResult("x", "X", "x.py", checks=(CheckResult("c", "failed", 1, "bad \x00\x1b[31m"),),
                        output="\x07beep\x00")
    root = ET.fromstring(render(GradeReport((ex,)), "junit"))
    assert "beep" in root.find("testsuite/system-out").text


# --- markdown -----------------------------------------------------------------------------------

def test_markdown_matches_the_golden_file(report):
    text = render(report, "md")
    golden = GOLDEN / "sample_report.md"
    if os.environ.get("KATA_UPDATE_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), \
        "the markdown report changed; if on purpose, rerun with KATA_UPDATE_GOLDEN=1 and review the diff"


def test_markdown_of_a_perfect_score_matches_the_golden_file():
    ex = ExerciseResult("adder", "Adding", "exercises/01_basics/adder.py",
                        checks=(CheckResult("add", "passed", 1), CheckResult("mul", "passed", 2)))
    text = render(GradeReport((ex,), kata_version="0.1.0"), "md")
    golden = GOLDEN / "perfect_report.md"
    if os.environ.get("KATA_UPDATE_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_markdown_text_cannot_break_out():
    assert md_inline("a|b *c* <i>") == r"a\|b \*c\* \<i\>"
    block = fence("before\n```\nrm -rf /\n```\nafter")
    opening = block.split("\n", 1)[0]
    assert opening.startswith("````") and block.endswith("\n" + opening.rstrip("text"))


def test_markdown_keeps_only_the_tail_of_a_long_output():
    ex = ExerciseResult("x", "X", "x.py", checks=(CheckResult("c", "passed"),),
                        output="".join(f"line {i}\n" for i in range(5000)))
    text = render(GradeReport((ex,)), "md")
    assert "line 4999" in text and "line 10\n" not in text and "earlier characters left out" in text


# --- html ---------------------------------------------------------------------------------------

def test_html_has_every_exercise_bar_feedback_and_output(report):
    page = render(report, "html")
    for e in report.exercises:
        assert f'id="ex-{e.id}"' in page and f'id="row-{e.id}"' in page
    assert page.count('<div class="bar') == 1 + 2 * len(report.exercises)  # total, table row, section
    assert "cross_entropy(logits, y) is 2.31" in page
    assert "<details class=\"output\">" in page and "Captured output (2 lines)" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Loss functions &lt;from&gt; tensor | ops" in page
    assert "needs torchvision" in page and "not implemented yet" in page


def test_html_plots_a_loss_curve_only_where_a_check_has_one(report):
    page = render(report, "html")
    assert page.count("<svg") == 1
    section = page[page.index('id="ex-train_cnn"'):page.index('id="ex-finetune_resnet18"')]
    assert "<svg" in section and 'data-check="loss_goes_down"' in section
    lines = re.findall(r'<polyline points="([^"]+)" class="series-(\d)"', section)
    assert [series for _, series in lines] == ["0", "1"]  # yours, then the reference
    for points, curve in zip((p for p, _ in lines), (YOURS, REFERENCE)):
        ys = [float(p.split(",")[1]) for p in points.split()]
        assert len(ys) == len(curve) and ys == sorted(ys)  # the loss falls: the line goes down the page
    assert ">yours</text>" in section and ">reference</text>" in section  # the legend
    assert ">2.3</text>" in section and ">0.45</text>" in section  # highest and lowest loss


def test_markdown_summarises_the_loss_curve(report):
    text = render(report, "md")
    section = text[text.index("<b>train_cnn</b>"):text.index("<b>finetune_resnet18</b>")]
    assert "- **loss\\_goes\\_down**, yours: 7 points, first 2.3, last 0.8, lowest 0.8 `█" in section
    assert "reference: 7 points, first 2.3, last 0.45, lowest 0.45 `█" in section
    assert text.count("Loss curves") == 1


def test_gradescope_output_carries_a_one_line_curve_summary(report):
    tests = {t["name"]: t for t in json.loads(render(report, "gradescope"))["tests"]}
    assert tests["train_cnn: loss_goes_down"]["output"] == (
        "passed\nLoss curve: yours: 7 points, first 2.3, last 0.8, lowest 0.8;"
        " reference: 7 points, first 2.3, last 0.45, lowest 0.45")
    assert tests["train_cnn: accuracy"]["output"] == "accuracy 0.62, expected at least 0.8"


def test_html_loads_nothing_from_the_network(report):
    page = render(report, "html")
    assert "http://" not in page and "https://" not in page
    refs = re.findall(r"""\b(?:src|href|action|srcset|data|poster)\s*=\s*["']?([^"'\s>]*)""", page)
    assert all(ref.startswith("#") for ref in refs), refs
    assert "url(" not in page and "@import" not in page and "<script" not in page
    assert "default-src 'none'" in page  # and the browser is told to refuse any load anyway


def _chromium_requests(url: str, profile: Path) -> tuple[str, set[str]]:
    """Open `url` in headless Chromium behind a recording proxy: (the DOM, the hosts it asked for)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(32)
    hosts: set[str] = set()

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.settimeout(2)
            try:
                head = conn.recv(512).decode("latin-1").split(" ")
                if len(head) > 1:
                    target = head[1]
                    hosts.add(re.sub(r"^[a-z]+://", "", target).split("/")[0].split(":")[0])
            except OSError:
                pass
            finally:
                conn.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        done = subprocess.run(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-extensions", "--disable-default-apps", "--no-default-browser-check",
             f"--proxy-server=http://127.0.0.1:{server.getsockname()[1]}", f"--user-data-dir={profile}",
             "--virtual-time-budget=2000", "--dump-dom", url],
            capture_output=True, text=True, timeout=120)
    finally:
        server.close()
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, hosts


@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium check needs /usr/bin/chromium (apt install chromium)")
def test_html_in_headless_chromium(report, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render(report, "html"), encoding="utf-8")
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<html><body><img src="http://kata-leak.invalid/x.png">leak</body></html>', encoding="utf-8")
    blank = tmp_path / "blank.html"
    blank.write_text("<html><body>blank</body></html>", encoding="utf-8")

    _, browser_own = _chromium_requests(blank.as_uri(), tmp_path / "p0")  # Chromium's own traffic
    _, leaked = _chromium_requests(leaky.as_uri(), tmp_path / "p1")
    assert "kata-leak.invalid" in leaked, "the recording proxy did not see the control page's request"

    dom, hosts = _chromium_requests(page.as_uri(), tmp_path / "p2")
    for e in report.exercises:
        assert f'id="ex-{e.id}"' in dom and e.id in dom
    assert "<polyline" in dom
    own = browser_own | {h for h in hosts if re.search(r"(^|\.)(google\.com|googleapis\.com|gstatic\.com|gvt1\.com)$", h)}
    assert hosts <= own, f"the report asked for {sorted(hosts - own)}"


# --- GitHub Actions -----------------------------------------------------------------------------

def test_annotations_point_at_the_learners_line(report):
    lines = github.annotations(report, env={})
    assert "::error file=exercises/03_losses/losses.py,line=17,title=losses%3A cross_entropy (0/2)::" \
           "cross_entropy(logits, y) is 2.31, expected 1.05.%0ADid you forget the log-softmax? `*not* averaged`" in lines
    assert any(line.startswith("::error file=exercises/04_conv/conv2d.py,line=4,") for line in lines)
    assert any(line.startswith("::error file=exercises/06_training/train_cnn.py,line=42,") for line in lines)
    assert not any("pooling" in line for line in lines)  # untouched stubs are not errors
    assert not any("on_gpu" in line for line in lines)
    assert all("\n" not in line for line in lines)


def test_annotation_paths_are_relative_to_the_checked_out_repository(report, tmp_path):
    root = tmp_path / "repo" / "course"
    lines = github.annotations(report, root=root, env={"GITHUB_WORKSPACE": str(tmp_path / "repo")})
    assert lines and all(line.startswith("::error file=course/exercises/") for line in lines)


def test_annotations_escape_percent_and_repeat_nothing():
    msg = "100% wrong\r\nagain"
    checks = tuple(CheckResult(n, "error", 1, msg, line=3) for n in ("a", "b"))
    report = GradeReport((ExerciseResult("x", "X", "x.py", checks=checks, message=msg, fault="error"),))
    lines = github.annotations(report, env={})
    assert lines == ["::error file=x.py,line=3,title=x%3A a (0/1)::100%25 wrong%0D%0Aagain"]


def test_publish_writes_summary_and_step_output(report, tmp_path):
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    summary.write_text("earlier step\n")
    echoed = []
    github.publish(report, env={"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output)},
                   echo=echoed.append)
    assert summary.read_text().startswith("earlier step\n## kata: 6/15")
    lines = output.read_text().splitlines()
    assert lines == [f"{r.name}={r.value}" for r in runners(report)] and len(lines) == len(report.exercises)
    assert echoed == github.annotations(report, env={})


def test_in_actions_only_when_github_says_so():
    assert github.in_actions({"GITHUB_ACTIONS": "true"})
    assert not github.in_actions({}) and not github.in_actions({"GITHUB_ACTIONS": "false"})


def test_report_totals_match_terminal_summary(report):
    import click

    from grader.render import terminal
    assert "Score 6/15 (40 %)" in click.unstyle(terminal.report_summary(report))


# --- html at phone width, learner output as printed --------------------------------------------

PHONE_PROBE = """<script>
window.addEventListener("load", () => {
  const w = window.innerWidth, out = ["viewport=" + w, "scroll=" + document.documentElement.scrollWidth];
  for (const el of document.querySelectorAll("td.num, th.num, .total .big, .bar, summary .num")) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > w + 0.5 || el.scrollWidth > el.clientWidth + 1))
      out.push("cut:" + el.className + ":" + el.textContent.trim());
  }
  parent.document.body.setAttribute("data-probe", out.join("|"));
});
</script></body>"""


def phone_layout(page: str, folder: Path, width: int = 420) -> list[str]:
    """Lay the page out `width` px wide in headless Chromium (inside an iframe, so the width is
    exact) and list what sticks out: the scroll width and any score, total or bar cut off."""
    probe = page.replace('http-equiv="Content-Security-Policy"', 'name="csp-off-for-the-probe"')
    (folder / "page.html").write_text(probe.replace("</body>", PHONE_PROBE), encoding="utf-8")
    (folder / "wrap.html").write_text(f'<html><body style="margin:0"><iframe src="page.html" '
                                      f'style="width:{width}px;height:4000px;border:0"></iframe></body></html>')
    done = subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
                           f"--user-data-dir={folder / 'profile'}", "--window-size=900,900",
                           "--virtual-time-budget=5000", "--dump-dom", (folder / "wrap.html").as_uri()],
                          capture_output=True, text=True, timeout=120)
    match = re.search(r'data-probe="([^"]*)"', done.stdout)
    assert match, done.stderr[-2000:]
    return match.group(1).split("|")


def wide_report() -> GradeReport:
    """The sample report plus an exercise with a long id and title, coloured messages and an
    import-time print repeated once per check."""
    extra = ExerciseResult(
        "linear_regression_autograd", "Linear regression with autograd and a manual update, step by step",
        "exercises/01_autograd/linear_regression_autograd.py",
        checks=tuple(CheckResult(f"check_{i}", "failed", 30, "\x1b[31mvalue is wrong\x1b[0m by 0.5") for i in range(3)),
        output="loading data...\n\x1b[32mready\x1b[0m\n" * 14)
    base = sample_report()
    return GradeReport(base.exercises + (extra,), base.started_at, base.duration_s, base.environment, "0.1.0")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium check needs /usr/bin/chromium (apt install chromium)")
def test_html_at_phone_width_cuts_nothing_off(tmp_path):
    report = wide_report()
    assert report.score >= 0 and "/" in render(report, "html")
    probe = phone_layout(render(report, "html"), tmp_path)
    assert probe[0] == "viewport=420" and probe[1] == "scroll=420", probe
    assert not [p for p in probe if p.startswith("cut:")], probe


def test_html_shows_no_raw_escapes_and_a_repeated_print_once():
    report = wide_report()
    page = render(report, "html")
    assert "\x1b" not in page and "[31m" not in page and "value is wrong by 0.5" in page
    section = page[page.index('id="ex-linear_regression_autograd"'):]
    assert section.count("loading data...") == 1 and "14 times in a row" in section
    assert "Captured output (28 lines, repeats shown once)" in section


@pytest.mark.parametrize("text, blocks", [
    ("", []),
    ("a\nb\n", [("a\nb", 1)]),
    ("x\n" * 5, [("x", 5)]),
    ("start\n" + "p\nq\n" * 3 + "end\n", [("start", 1), ("p\nq", 3), ("end", 1)]),
    ("\x1b[1mhi\x1b[0m\nhi\n", [("hi", 2)]),
])
def test_output_blocks_collapse_repeats(text, blocks):
    from grader.render.pages import output_blocks
    assert output_blocks(text) == blocks


def test_markdown_output_is_collapsed_and_clean():
    text = render(wide_report(), "md")
    section = text[text.index("<b>linear_regression_autograd</b>"):]
    assert section.count("loading data...") == 1 and "[the 2 lines above, 14 times in a row]" in section
    assert "\x1b" not in text
