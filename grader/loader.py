"""Load a learner's file as a fresh module, and format errors with the learner's frames only.

The file is read, compiled and executed in memory: nothing is written next to it (no
__pycache__), and the hidden checks' frames never reach a message.
"""
from __future__ import annotations

import sys
import traceback
import types
from pathlib import Path


class SubmissionLoadError(Exception):
    """The learner's file does not import; the message is the learner's own traceback."""

    def __init__(self, message: str, line: int | None = None, exit_code: object = None,
                 out_of_memory: bool = False):
        super().__init__(message)
        self.line = line
        self.exit_code = exit_code
        self.out_of_memory = out_of_memory


def load_submission(path: Path, module_name: str, display: str | None = None) -> types.ModuleType:
    display = display or str(path)
    try:
        source = Path(path).read_bytes()
    except OSError as exc:
        raise SubmissionLoadError(f"cannot read {display}: {exc.strerror or exc}") from None
    try:
        code = compile(source, str(path), "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        raise SubmissionLoadError(_syntax_message(exc, path, display),
                                  line=getattr(exc, "lineno", None)) from None
    module = types.ModuleType(module_name)
    module.__file__ = str(path)
    sys.modules[module_name] = module  # dataclasses, pickling and typing look the module up
    try:
        exec(code, module.__dict__)
    except SystemExit as exc:
        raise SubmissionLoadError(
            f"{display} called sys.exit({exc.code!r}) while being imported; remove that call"
            " (or put it under `if __name__ == \"__main__\":`).",
            line=learner_line(exc, path), exit_code=exc.code) from None
    except MemoryError as exc:
        raise SubmissionLoadError(
            f"{display} ran out of memory while being imported:\n" + learner_traceback(exc, path, display)
            + "\nLook for an array or tensor far larger than the exercise needs.",
            line=learner_line(exc, path), out_of_memory=True) from None
    except BaseException as exc:  # noqa: BLE001 - anything the file raises is the learner's error
        raise SubmissionLoadError(
            f"{display} raised an exception while being imported:\n"
            + learner_traceback(exc, path, display), line=learner_line(exc, path)) from None
    return module


def _syntax_message(exc: BaseException, path: Path, display: str) -> str:
    text = "".join(traceback.format_exception_only(type(exc), exc)).replace(str(path), display)
    return f"{display} does not compile:\n{text.rstrip()}"


def learner_frames(exc: BaseException, path: Path) -> list[traceback.FrameSummary]:
    target = str(path)
    return [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == target]


def learner_line(exc: BaseException, path: Path) -> int | None:
    frames = learner_frames(exc, path)
    return frames[-1].lineno if frames else None


def learner_traceback(exc: BaseException, path: Path, display: str) -> str:
    """Traceback limited to frames in the learner's file, then the exception line."""
    lines = []
    for frame in learner_frames(exc, path):
        lines.append(f'  File "{display}", line {frame.lineno}, in {frame.name}')
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    summary = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    lines.append(summary.replace(str(path), display))
    return "\n".join(lines)
