"""Engines: what a child can reach, and what the grading process never does before it forks."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from grader import engines, sandbox
from grader.courses import default as default_course


def test_the_environment_is_read_in_a_child_so_cuda_never_starts_in_the_forking_process(monkeypatch):
    asked_in = []

    def is_available():
        asked_in.append(os.getpid())
        return False

    monkeypatch.setattr(torch.cuda, "is_available", is_available)
    info = engines.ForkEngine().environment()
    assert info["sandbox"] == "none" and info["torch"] == torch.__version__
    assert asked_in == [] or os.getpid() not in asked_in  # patched here, asked only in the child


def test_descendants_and_their_private_memory_are_found():
    pid = os.fork()
    if pid == 0:
        os.execvp("sleep", ["sleep", "5"])
    try:
        assert pid in engines.descendants(os.getpid())
        assert engines.tree_private_kib(pid) is not None
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)


def _visible(engine: sandbox.SandboxEngine, path: Path) -> bool:
    """Whether `path` is visible in the sandbox: inside a bind, and not under a hidden tmpfs."""
    try:
        inside = engine.inside(path)
    except sandbox.SandboxError:
        return False
    command = engine.command()
    hidden = [Path(command[i + 1]) for i, arg in enumerate(command) if arg == "--tmpfs"]
    return not any(inside == h or h in inside.parents for h in hidden)


def test_the_sandbox_sees_neither_the_checks_nor_a_reference_solution(tmp_path):
    """The judge runs outside: the check modules are hidden like the solutions; the helpers an
    in-process check module imports stay."""
    course = default_course()
    engine = sandbox.SandboxEngine(course)
    try:
        spec = course.manifest.get("conv2d")
        for hidden in (course.check_module(spec), course.solutions_dir / spec.relpath, course.alternatives_dir,
                       course.mutants_dir):
            assert not _visible(engine, hidden), hidden
        assert _visible(engine, course.checks_dir / "helpers.py")
        command = engine.command()
        assert {"--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--clearenv"} <= set(command)
    finally:
        engine.close()


@pytest.mark.parametrize("mode", ["auto", "none"])
def test_sandbox_modes(mode):
    chosen = sandbox.choose(mode)
    assert chosen in ("bubblewrap", "none")
    if mode == "none":
        assert chosen == "none"
    elif sandbox.unavailable() is None:
        assert chosen == "bubblewrap"


def test_required_refuses_where_bubblewrap_cannot_run(monkeypatch):
    monkeypatch.setattr(sandbox, "unavailable", lambda: "bubblewrap (bwrap) is not installed")
    with pytest.raises(sandbox.SandboxError, match="--sandbox required, but bubblewrap"):
        sandbox.choose("required")
    assert sandbox.choose("auto") == "none"


def test_the_private_tmp_is_mounted_before_anything_that_may_live_under_tmp(tmp_path):
    """A kata installed under /tmp (a CI clone, a venv there) must stay visible in the sandbox."""
    engine = sandbox.SandboxEngine(default_course())
    try:
        command = engine.command()
        private_tmp = command.index("/tmp", command.index("--tmpfs"))
        assert command[private_tmp - 3:private_tmp] == ["--size", str(sandbox.TMP_BYTES), "--tmpfs"]
        for i, arg in enumerate(command):
            if arg == "--ro-bind" and command[i + 2].startswith("/tmp/"):
                assert i > private_tmp, command[i:i + 3]
    finally:
        engine.close()
