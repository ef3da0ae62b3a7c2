"""What a grading job is, defined once, with its one encoding for the sandbox's worker.

`Job` is one exercise to grade: the runner (grader/runner.py) holds it, the judge process reads
it. `LearnerJob` is the part the learner's process needs (grader/learner.py): its file and its
limits, nothing of the checks. Both cross a process boundary as JSON through `to_dict` /
`from_dict`, and nowhere else.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .manifest import ExerciseSpec


@dataclass(frozen=True)
class LearnerJob:
    path: str  # the learner's file, as the learner's process sees it
    display: str  # the learner's file as messages name it
    module_name: str
    forbid: tuple[str, ...] = ()
    memory: int = 2048  # MiB
    threads: int = 1

    def to_dict(self) -> dict:
        return {"path": self.path, "display": self.display, "module_name": self.module_name,
                "forbid": list(self.forbid), "memory": self.memory, "threads": self.threads}

    @classmethod
    def from_dict(cls, data: dict) -> "LearnerJob":
        if type(data) is not dict:
            raise ValueError("a learner job that is not an object")
        return cls(path=str(data["path"]), display=str(data["display"]), module_name=str(data["module_name"]),
                   forbid=tuple(str(p) for p in data.get("forbid", ())), memory=int(data.get("memory", 2048)),
                   threads=int(data.get("threads", 1)))


@dataclass(frozen=True)
class Job:
    spec: ExerciseSpec
    check_module: Path
    submission: Path  # the learner's file, as found in the workspace
    display: str  # the learner's file as messages name it
    require_gpu: bool = False
    threads: int = 1  # torch threads per check
    limits: tuple[tuple[str, float], ...] = ()  # per-check time limits in seconds (learned)
    root: Path | None = None  # the submission must be a regular file inside this folder

    def learner(self, path: str | Path | None = None) -> LearnerJob:
        """The learner's process's part; `path`: where the file is seen there (a sandbox)."""
        return LearnerJob(path=str(path or self.submission), display=self.display,
                          module_name=f"kata_submission_{self.spec.id}", forbid=self.spec.forbid,
                          memory=self.spec.memory, threads=self.threads)

