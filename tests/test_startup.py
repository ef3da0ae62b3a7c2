"""`kata next`, `list` and `hint` stay light: they never import torch, numpy or pytest.

Each verb runs in a fresh interpreter (this process already has them all imported), inside a
fake-course workspace, and reports which heavy modules ended up in sys.modules.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import FAKE_COURSE

HEAVY = ("torch", "numpy", "pytest")
PROBE = """
import json, sys
from grader.cli import cli
try:
    cli(sys.argv[1:], standalone_mode=False)
finally:
    sys.stdout.flush()
    print("\\nHEAVY=" + json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
""".format(heavy=HEAVY)


def heavy_imports(space, *args):
    env = dict(os.environ, KATA_COURSE=str(FAKE_COURSE))
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=space.root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    line = done.stdout.rstrip().splitlines()[-1]
    assert line.startswith("HEAVY="), done.stdout
    return done.stdout, json.loads(line[len("HEAVY="):])


@pytest.mark.parametrize("args", [["next"], [], ["list"], ["hint"]], ids=["next", "bare", "list", "hint"])
def test_learner_verbs_do_not_import_heavy_modules(workspace, args):
    output, heavy = heavy_imports(workspace, *args)
    assert heavy == [], f"`kata {' '.join(args)}` imported {heavy}"
    assert "adder" in output  # the verb did its work


def test_next_stays_light_after_a_grade(workspace):
    """With results on disk (the usual case) `kata next` still reads them without heavy imports."""
    from grader import api
    api.grade(workspace=workspace, ids=["adder"])
    output, heavy = heavy_imports(workspace, "next")
    assert heavy == [] and "Last check: not started" in output
