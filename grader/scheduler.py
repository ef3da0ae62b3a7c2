"""Grading many exercises side by side: `jobs` lanes, each with its own engine (one sandbox per
lane), taking (exercise, file, display name) work in order. The results come back in the order of
the work, whatever order the lanes finish in.
"""
from __future__ import annotations

import threading
from pathlib import Path

from . import runner
from . import sandbox as sandboxing
from .jobs import Job

Cancelled = runner.Cancelled


def grade(work: list, *, course, sandbox: str, jobs: int, require_gpu: bool, threads: int, root: Path | None,
          cancel, timings: dict, with_torch: bool, with_environment: bool = False) -> tuple[list, dict]:
    """(results in the order of `work`, the environment of the first lane when asked, else {}).
    Raises Cancelled, or the first lane's error (a sandbox that does not start)."""
    queue = [(index, Job(spec, course.check_module(spec), Path(path), display, require_gpu, threads,
                         runner.learned_limits(spec, timings.get(spec.id, {})), root))
             for index, (spec, path, display) in enumerate(work)]
    lanes = max(1, min(jobs, len(queue)))
    results: list = [None] * len(queue)
    environments: list[dict] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def lane() -> None:
        engine = None
        try:
            engine = sandboxing.new_engine(sandbox, course, with_torch=with_torch)
            with lock:  # one lane asks, once: a forked probe beside another lane's forks can deadlock
                if with_environment and not environments:
                    environments.append(engine.environment())
            while True:
                with lock:
                    if not queue or errors:
                        return
                    index, job = queue.pop(0)
                results[index] = runner.grade(job, engine, cancel)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)
        finally:
            if engine is not None:
                engine.close()

    if lanes == 1:
        lane()
    else:
        workers = [threading.Thread(target=lane, daemon=True) for _ in range(lanes)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    if errors:
        raise errors[0]
    return results, (environments[0] if environments else {"sandbox": sandbox} if with_environment else {})
