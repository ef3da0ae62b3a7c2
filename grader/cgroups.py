"""The kernel's own accounting for one submission's processes: a cgroup v2 group per sandbox.

Where /sys/fs/cgroup is the unified (v2) hierarchy and kata may create groups below its own (a
delegated subtree: a systemd user service or `systemd-run --user --scope`, a container with its own
cgroup namespace, root on a v2 host), each sandbox's processes live in a group of their own:

    memory.max       the memory the exercise may use, over the worker's own; the kernel counts
                     everything it charges to the group: anonymous memory, tmpfs (/tmp), socket
                     buffers, kernel stacks, page cache
    memory.swap.max  0: no escape to swap
    pids.max         PIDS_MAX processes and threads: no fork bomb
    cpu.weight       CPU_WEIGHT, the same for every submission: one cannot starve the others

Elsewhere (cgroup v1 as on this project's CI machine, no delegation, macOS) `Group.create` returns
None and kata's own accounting applies: the private memory of the sandbox's process tree, polled,
RLIMIT_DATA in the learner's process, a per-check time limit, the sandbox's 256 MiB /tmp (README,
security).
"""
from __future__ import annotations

import contextlib
import itertools
import os
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PIDS_MAX = 256
CPU_WEIGHT = 100
_names = itertools.count()


def own_group(root: Path = ROOT) -> Path | None:
    """This process's cgroup v2 folder, or None (not v2, or not readable)."""
    if not (root / "cgroup.controllers").is_file():
        return None
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            if line.startswith("0::"):
                return root / line[3:].lstrip("/")
    except OSError:
        pass
    return None


class Group:
    """One submission's group; `add(pid)` moves a process (its later children follow)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, root: Path = ROOT) -> "Group | None":
        """A new group below this process's own, with the controllers it needs; None where the
        kernel or the permissions do not allow it."""
        parent = own_group(root)
        if parent is None or not os.access(parent, os.W_OK):
            return None
        # A process may not live in a group that has children with controllers (v2's "no internal
        # processes" rule): kata's groups hang below a leaf of their own.
        base = parent / "kata"
        try:
            base.mkdir(exist_ok=True)
            _enable(base, ("memory", "pids", "cpu"))
            path = base / f"submission-{os.getpid()}-{next(_names)}"
            path.mkdir()
        except OSError:
            return None
        group = cls(path)
        group.write("memory.swap.max", "0")
        group.write("pids.max", str(PIDS_MAX))
        group.write("cpu.weight", str(CPU_WEIGHT))
        return group

    def write(self, name: str, value: str) -> bool:
        try:
            (self.path / name).write_text(value)
            return True
        except OSError:
            return False

    def read(self, name: str) -> str | None:
        try:
            return (self.path / name).read_text()
        except OSError:
            return None

    def add(self, pid: int) -> bool:
        return self.write("cgroup.procs", str(pid))

    def limit_memory(self, limit_bytes: int) -> bool:
        return self.write("memory.max", str(int(limit_bytes)))

    def memory_kib(self) -> int | None:
        """What the kernel charges to the group now (socket buffers, tmpfs and all), in KiB."""
        text = self.read("memory.current")
        try:
            return int(text) // 1024 if text is not None else None
        except ValueError:
            return None

    def out_of_memory_kills(self) -> int:
        text = self.read("memory.events") or ""
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                with contextlib.suppress(ValueError):
                    return int(value)
        return 0

    def remove(self) -> None:
        """Kill what is left in the group, then remove it."""
        self.write("cgroup.kill", "1")
        with contextlib.suppress(OSError):
            self.path.rmdir()


def _enable(folder: Path, controllers: tuple[str, ...]) -> None:
    """Let `folder`'s children use the controllers (each already enabled in its parent)."""
    available = set((folder / "cgroup.controllers").read_text().split()) if (folder / "cgroup.controllers").exists() \
        else set(controllers)
    wanted = " ".join(f"+{c}" for c in controllers if c in available)
    if wanted:
        with contextlib.suppress(OSError):
            (folder / "cgroup.subtree_control").write_text(wanted)
