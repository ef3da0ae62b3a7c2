"""cgroup v2 accounting (grader/cgroups.py), on a folder laid out as the kernel lays out
/sys/fs/cgroup: where kata may create groups, a sandbox's group gets its limits; where it may not
(cgroup v1, as on CI), nothing is created and kata's own accounting applies."""
from __future__ import annotations

from pathlib import Path

from grader import cgroups


def fake_root(tmp_path: Path) -> Path:
    root = tmp_path / "cgroup"
    root.mkdir()
    (root / "cgroup.controllers").write_text("cpu memory pids\n")
    return root


def test_a_group_gets_memory_pids_and_cpu_limits(tmp_path, monkeypatch):
    root = fake_root(tmp_path)
    monkeypatch.setattr(cgroups, "own_group", lambda root_=root: root)
    group = cgroups.Group.create(root)
    assert group is not None and group.path.parent == root / "kata"
    assert (root / "kata" / "cgroup.subtree_control").read_text() == "+memory +pids +cpu"
    assert group.read("memory.swap.max") == "0" and group.read("pids.max") == str(cgroups.PIDS_MAX)
    assert group.read("cpu.weight") == str(cgroups.CPU_WEIGHT)
    assert group.limit_memory(3 * 2**20) and group.read("memory.max") == str(3 * 2**20)
    assert group.add(12345) and group.read("cgroup.procs") == "12345"
    (group.path / "memory.current").write_text(str(5 * 2**20))
    (group.path / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\n")
    assert group.memory_kib() == 5 * 1024 and group.out_of_memory_kills() == 2
    group.remove()
    assert (group.path / "cgroup.kill").read_text() == "1"


def test_no_group_where_the_hierarchy_is_not_v2(tmp_path):
    root = tmp_path / "v1"
    (root / "memory").mkdir(parents=True)  # v1: one folder per controller, no cgroup.controllers
    assert cgroups.own_group(root) is None
    assert cgroups.Group.create(root) is None


def test_this_machine_says_what_applies():
    group = cgroups.Group.create()
    if cgroups.own_group() is None:
        assert group is None  # v1 or no cgroupfs: kata's own accounting
    elif group is not None:
        group.remove()
