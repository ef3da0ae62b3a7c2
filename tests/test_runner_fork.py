"""The warm parent may have run torch on several threads before it forks (a notebook, a test
process, an instructor's script); the children must still grade, not wait on a dead thread pool."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import torch
    torch.set_num_threads(2)
    x = torch.randn(32, 64, 64, 64)
    torch.nn.functional.conv2d(x, torch.randn(8, 64, 3, 3))  # starts the parent's thread pool
    from grader import api
    from grader.courses import default as default_course
    course = default_course()
    spec = course.manifest.get("losses")
    result = api.grade_pairs(api.pairs([spec], {"losses": course.solutions_dir / spec.relpath}), course=course)[0]
    print("STATUS", result.status, result.score, result.max_score, result.message[:200])
""")


def test_children_of_a_parent_that_used_torch_threads_still_grade():
    env = {k: v for k, v in os.environ.items() if k != "KATA_COURSE"}
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300, env=env)
    line = next((l for l in done.stdout.splitlines() if l.startswith("STATUS")), done.stderr[-2000:])
    status, score, max_score = line.split()[1:4]
    assert status == "passed" and score == max_score, line
