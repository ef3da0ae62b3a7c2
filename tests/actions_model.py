"""Models of the consumers of kata's GitHub Classroom output, written from their documentation
(none of their code is copied): GitHub Classroom's reporter and the bits of GitHub Actions that
the generated workflow uses. The tests run kata's real output through them.

The reporter, classroom-resources/autograding-grading-reporter@v1, as its README and action
describe it:
- input `runners`: a comma-separated list; for each runner it reads the environment variable
  runner.trim().toUpperCase() + "_RESULTS", base64-decodes it and JSON-parses it (an empty or
  missing value fails: "Unexpected end of JSON input");
- the log: per runner, a line per test (✅ name for status "pass", "Error: message" for
  "error", ❌ name otherwise), then "Total points for RUNNER: X/MAX" with X =
  (tests with status "pass" / tests) × max_score, printed with toFixed(2); a table of the same
  X and max_score per runner (numbers printed as JavaScript prints them) with a Total row; and
  "Grand total tests passed: p/t";
- what Classroom records ("Points a/b" notice): a = Σ tests[].score, b = Σ max_score, over runners
  whose max_score is not 0;
- the step fails when a runner's status is "fail" or "error".
Linux refuses to start a process with an environment string longer than MAX_ARG_STRLEN.
"""
from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

MAX_ARG_STRLEN = 128 * 1024  # bytes of one "NAME=value\0" string (32 pages of 4 KiB)


class ReporterError(Exception):
    """The reporter could not run or could not read a runner's results."""


def js_number(x: float) -> str:
    """A number as JavaScript's String(x) writes it (integers without ".0")."""
    if x == int(x) and abs(x) < 1e21:
        return str(int(x))
    return repr(x)


def js_to_fixed(x: float, digits: int = 2) -> str:
    """JavaScript's x.toFixed(digits): the exact binary value, ties rounded up."""
    return str(Decimal(x).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


@dataclass
class ReporterRun:
    log: list[str] = field(default_factory=list)
    table: list[tuple[str, str, str]] = field(default_factory=list)  # (runner, score, max) as printed
    total_row: tuple[str, str] = ("", "")
    recorded: tuple[float, float] | None = None  # what Classroom records; None: nothing sent
    failed: str | None = None  # setFailed message


def run_reporter(runners_input: str, env: dict[str, str]) -> ReporterRun:
    run = ReporterRun()
    results = []
    for runner in runners_input.split(","):
        key = runner.strip().upper() + "_RESULTS"
        if key not in env:
            raise ReporterError(f"{key} is not set")
        value = env[key]
        if len(f"{key}={value}".encode()) + 1 > MAX_ARG_STRLEN:
            raise ReporterError(f"{key}: Argument list too long (exit 126)")
        try:
            data = json.loads(base64.b64decode(value, validate=True).decode("utf-8"))
        except ValueError as exc:
            raise ReporterError(f"{key}: Unexpected end of JSON input ({exc})") from None
        results.append((runner, data))
    passed_all = tests_all = 0
    table_scores = []
    for runner, data in results:
        tests, max_score = data["tests"], data.get("max_score") or 0
        run.log.append(f"Processing: {runner}")
        passed = 0
        for t in tests:
            line = f" - line {t['line_no']}" if t.get("line_no", 0) != 0 else ""
            if t["status"] == "pass":
                passed += 1
                run.log.append(f"✅ {t['name']}{line}")
            elif t["status"] == "error":
                run.log.append(f"Error: {t.get('message') or 'Failed to run test ' + repr(t['name'])}")
            else:
                run.log.append(f"❌ {t['name']}{line}")
        points = passed / len(tests) * max_score  # NaN in JavaScript when there is no test
        if max_score != 0:
            run.log.append(f"Total points for {runner}: {js_to_fixed(points)}/{js_number(max_score)}")
        passed_all, tests_all = passed_all + passed, tests_all + len(tests)
        table_scores.append(points)
        run.table.append((runner.strip(), js_number(points), js_number(max_score)))
    total = 0.0
    for points in table_scores:
        total += points
    max_total = 0.0
    for _, data in results:
        max_total += data.get("max_score") or 0
    run.total_row = (js_number(total), js_number(max_total))
    run.log.append(f"Grand total tests passed: {passed_all}/{tests_all}")
    recorded, maximum = 0.0, 0.0
    for _, data in results:
        if not data.get("max_score"):
            continue
        maximum += data["max_score"]
        for t in data["tests"]:
            recorded += t["score"]
    run.recorded = (recorded, maximum) if maximum else None
    if any(d["status"] == "fail" for _, d in results):
        run.failed = "Some tests failed."
    elif any(d["status"] == "error" for _, d in results):
        run.failed = "Some tests errored."
    return run


# --- GitHub Actions expressions (the subset the workflow uses) ---------------------------------

_TOKEN = re.compile(r"\s*(\|\||&&|==|!=|!|\(|\)|'(?:[^']|'')*'|[A-Za-z_][\w.\-]*(?:\(\))?)")


def evaluate(expr: str, ctx: dict):
    """A `${{ }}` expression: context paths, 'strings', ==, !=, !, &&, || (returning an operand,
    as GitHub's do), and the status functions always(), success(), failure()."""
    tokens, pos = [], 0
    expr = expr.strip()
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m:
            raise ValueError(f"cannot read expression {expr!r} at {pos}")
        tokens.append(m.group(1))
        pos = m.end()
    tokens.append(None)
    i = 0

    def peek():
        return tokens[i]

    def take():
        nonlocal i
        i += 1
        return tokens[i - 1]

    def primary():
        tok = take()
        if tok == "(":
            value = or_()
            take()
            return value
        if tok == "!":
            return not primary()
        if tok.startswith("'"):
            return tok[1:-1].replace("''", "'")
        if tok.endswith("()"):
            return ctx["functions"][tok[:-2]]()
        value = ctx
        for part in tok.split("."):
            value = value.get(part, "") if isinstance(value, dict) else ""
        return value

    def compare():
        left = primary()
        while peek() in ("==", "!="):
            op, right = take(), primary()
            left = (left == right) if op == "==" else (left != right)
        return left

    def and_():
        left = compare()
        while peek() == "&&":
            take()
            right = compare()
            left = right if left else left
        return left

    def or_():
        left = and_()
        while peek() == "||":
            take()
            right = and_()
            left = left if left else right
        return left

    return or_()


def substitute(text: str, ctx: dict) -> str:
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: str(evaluate(m.group(1), ctx)), str(text))


def read_outputs(path) -> dict[str, str]:
    """$GITHUB_OUTPUT as the runner reads it: `name=value` lines and `name<<DELIM` blocks."""
    outputs, lines = {}, path.read_text(encoding="utf-8").split("\n") if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            end = lines.index(delim, i + 1)
            outputs[name] = "\n".join(lines[i + 1:end])
            i = end + 1
            continue
        if "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
        i += 1
    return outputs
