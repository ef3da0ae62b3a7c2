"""The learner's process: it loads the learner's file and answers the judge's calls, nothing else.

Forked from a warm process (the grading parent with `sandbox: none`, or the worker inside a
bubblewrap sandbox), it holds one end of a socket to the judge (grader/judge.py). The judge sends
requests; this process runs them and sends back plain data (grader/wire.py). It has no check
module, no oracle, no expected value and no verdict to tamper with: whatever the learner's code
does here decides only what its own functions return.

Requests (one reply each: {"ok": value} or {"err": {...}}):

    load                      import the file once: {"output", "error"}
    begin                     a check starts: a fresh module, seeded global state, output captured
    end                       the check ended: {"output": text, "hits": [[name, line], ...]}
    call  fn, args, kw        call a function of the module, a handle, or a snippet (wire.Code)
    get / set  obj, name      an attribute of the module or of a handle (set: value, or delete)
    do  what, args            len, list, getitem, isinstance, type: built-ins on handles

While a call runs, the learner's code may call the judge's callbacks ({"cb": id, "args", "kw"}),
which answer with plain data too. The forbidden operations of the exercise are refused here, in
every thread and route (grader/tripwire.py).
"""
from __future__ import annotations

import builtins
import contextlib
import io
import math
import os
import random
import signal
import socket
import sys
import warnings
from typing import Any

from . import channel, wire
from .jobs import LearnerJob
from .loader import SubmissionLoadError, learner_frames, learner_line, learner_traceback, load_submission
from .tripwire import Guard, Refused

SEED = 0
OUTPUT_LIMIT = 4000  # characters of captured output kept per check
TEXT_LIMIT = 2000  # characters of an exception message sent to the judge
FILE_OUTPUT_LIMIT = 16 * 2**20  # bytes the process may write to its stdout/stderr file
MODULE = 0  # the handle of the learner's module


def main(sock_fd: int, job: LearnerJob, out_path: str) -> None:
    """Serve the judge until it hangs up; ends with os._exit, never returns."""
    code = 0
    try:
        channel.keep_only(sock_fd)
        isolate(job, out_path)
        sock = socket.socket(fileno=sock_fd)
        guard = Guard(job.forbid, job.path).install()
        Server(sock, job, guard).serve()
    except BaseException:  # noqa: BLE001 - the judge sees the connection close
        code = 1
    finally:
        os._exit(code)


def isolate(job: LearnerJob, out_path: str) -> None:
    """Own process group, no stdin, output to a size-capped file, memory and thread limits."""
    import resource
    os.setpgid(0, 0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    out = os.open(out_path, os.O_WRONLY | os.O_APPEND)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)
    os.close(devnull)
    sys.stdin = open(os.devnull)
    # The parent's sys.stdout may write to a descriptor just closed (pytest's capture, a notebook's).
    sys.stdout = open(1, "w", buffering=1, closefd=False, errors="replace")
    sys.stderr = open(2, "w", buffering=1, closefd=False, errors="replace")
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the cap, writes fail instead of killing
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_OUTPUT_LIMIT, FILE_OUTPUT_LIMIT))
    data_kib = _status_kib("VmData") or 0
    limit = data_kib * 1024 + job.memory * 2**20
    try:
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    except (ValueError, OSError):
        pass
    sys.dont_write_bytecode = True
    # A parent that ran torch on several threads leaves an OpenMP pool whose threads did not
    # survive the fork: the first parallel op here would wait for them forever.
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(job.threads)
    warnings.simplefilter("once")  # a diverging loop must not bury the output under warnings


def _status_kib(key: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class Server:
    def __init__(self, sock: socket.socket, job: LearnerJob, guard: Guard) -> None:
        self.sock, self.job, self.guard = sock, job, guard
        self.objects: dict[int, Any] = {}
        self.next_id = 1
        self.capture: _Captured | None = None
        self.changed: list = []  # arguments of the last call changed in place: sent back with the result
        self.sent: list = []  # the last call's arrays: one returned as it is goes back as {"same": i}
        self.cwd = os.getcwd()
        self.torch = sys.modules.get("torch")

    def serve(self) -> None:
        while True:
            try:
                header, buffers = wire.receive(self.sock)
            except (wire.WireError, OSError):
                return  # the judge is gone, or the learner's code broke this socket
            self.answer(header, buffers)

    def answer(self, header: dict, buffers: list[bytes]) -> None:
        op = header.get("op")
        handler = getattr(self, f"op_{op}", None) if type(op) is str and op.isidentifier() else None
        try:
            if handler is None:
                raise wire.WireError(f"no such request {op!r}")
            decoder = self._decoder(buffers)
            value = handler(header, decoder)
        except BaseException as exc:  # noqa: BLE001 - everything the learner's code raises is its answer
            self._send({"err": error_fields(exc, self.job)}, [])
            return
        try:
            changed, self.changed = self.changed, []
            sent, self.sent = self.sent, []
            encoder = wire.Encoder(self._keep, sent)
            reply = {"ok": encoder.value(value)}
            if changed:  # their new values themselves, not {"same": i}
                encoder.same = {}
                reply["changed"] = encoder.value(changed)
            data = encoder.buffers
        except BaseException as exc:  # noqa: BLE001 - a value that cannot be sent is the learner's error
            self._send({"err": error_fields(exc, self.job)}, [])
            return
        self._send(reply, data)

    def _send(self, header: dict, buffers: list) -> None:
        try:
            wire.send(self.sock, header, buffers)
        except (OSError, ValueError):
            os._exit(1)

    # --- requests -------------------------------------------------------------------------------

    def op_load(self, header: dict, decoder) -> dict:
        with _Captured() as out:
            try:
                self._load()
            except SubmissionLoadError as exc:
                return {"output": out.text(), "error": error_fields(exc, self.job)}
        return {"output": out.text(), "error": None}

    def op_begin(self, header: dict, decoder) -> None:
        self.objects = {}
        self.capture = _Captured().__enter__()
        try:
            self._load()
        finally:
            self.guard.refresh()

    def op_end(self, header: dict, decoder) -> dict:
        text = ""
        if self.capture is not None:
            self.capture.__exit__(None, None, None)
            text, self.capture = self.capture.text(), None
        self.objects = {MODULE: self.objects.get(MODULE)}
        hits = [[h.name, h.line] for h in self.guard.take_hits()]
        return {"output": text, "hits": hits}

    def op_call(self, header: dict, decoder) -> Any:
        fn = decoder.value(header.get("fn"))
        args = decoder.value(header.get("args", []))
        kwargs = decoder.value(header.get("kw", {"d": []}))
        if type(args) is not list or type(kwargs) is not dict:
            raise wire.WireError("call arguments that are not a list and a dict")
        deadline = header.get("deadline")
        lifted = self.guard.lifted() if header.get("lifted") is True else contextlib.nullcontext()
        try:
            with lifted, self.guard.watching(), _deadline(deadline if type(deadline) in (int, float) else None):
                result = fn(*args, **kwargs)
        finally:
            self.guard.refresh()
        self.changed = decoder.changed()
        self.sent = decoder.arrays
        return result

    def op_get(self, header: dict, decoder) -> Any:
        obj, name = decoder.value(header.get("obj")), header.get("name")
        if type(name) is not str:
            raise wire.WireError("an attribute name that is not a string")
        with self.guard.watching():
            return getattr(obj, name)

    def op_set(self, header: dict, decoder) -> None:
        obj, name = decoder.value(header.get("obj")), header.get("name")
        if type(name) is not str:
            raise wire.WireError("an attribute name that is not a string")
        with self.guard.watching():
            if header.get("delete") is True:
                delattr(obj, name)
            else:
                setattr(obj, name, decoder.value(header.get("value")))

    def op_do(self, header: dict, decoder) -> Any:
        what, args = header.get("what"), decoder.value(header.get("args", []))
        with self.guard.watching():
            if what == "len":
                return len(args[0])
            if what == "list":
                return list(args[0])
            if what == "getitem":
                return args[0][args[1]]
            if what == "isinstance":
                return isinstance(args[0], args[1])
            if what == "type":
                return type(args[0])
        raise wire.WireError(f"no such built-in {what!r}")

    # --- the module, handles, callbacks, snippets ---------------------------------------------

    def _load(self) -> None:
        self.reset_globals()
        with self.guard.watching():  # the file's own top level runs under the refusals too
            module = load_submission(self.job.path, self.job.module_name, self.job.display)
        self.objects[MODULE] = module
        self.reset_globals()

    def reset_globals(self) -> None:
        """Every check starts from the same seeded state, whatever an earlier one left behind."""
        os.chdir(self.cwd)
        random.seed(SEED)
        import numpy as np
        np.random.seed(SEED)
        torch = self.torch
        if torch is not None:  # torch's C functions: the exercise's refusals may cover the Python ones
            torch._C.default_generator.manual_seed(SEED)
            if torch.cuda.is_initialized():
                torch.cuda.manual_seed_all(SEED)
            torch._C._set_default_dtype(torch.float32)
            torch._C._set_grad_enabled(True)
            torch.set_num_threads(self.job.threads)  # a built-in: never refused

    def _object(self, ref: wire.Ref) -> Any:
        if ref.id not in self.objects:
            raise wire.WireError(f"no object {ref.id} (handles last one check)")
        return self.objects[ref.id]

    def _keep(self, obj: Any) -> dict:
        for key, value in self.objects.items():
            if value is obj:
                return {"r": key, "k": _kind(obj)}
        self.next_id += 1
        self.objects[self.next_id] = obj
        return {"r": self.next_id, "k": _kind(obj)}

    def _decoder(self, buffers: list[bytes]) -> wire.Decoder:
        return wire.Decoder(buffers, ref=self._object, callback=self._callback, code=self._define,
                            judge_object=lambda number: JudgeObject(self, number))

    def ask_judge(self, header: dict, **values) -> Any:
        """One callback to the judge (a check's function or object), answered with plain data."""
        header, data = wire.encode_message(header, self._keep, **values)
        self._send(header, data)
        try:
            reply, buffers = wire.receive(self.sock)
        except (wire.WireError, OSError):
            os._exit(1)
        if "ok" in reply:
            return self._decoder(buffers).value(reply["ok"])
        error = AttributeError if reply.get("attribute") is True else RuntimeError
        raise error(str(reply.get("err", "the grader's function failed"))[:TEXT_LIMIT])

    def _callback(self, number: int):
        def callback(*args, **kwargs):
            return self.ask_judge({"cb": number}, args=list(args), kw=kwargs)
        callback.__name__ = callback.__qualname__ = "reference"
        return callback

    def _define(self, code: wire.Code):
        """A snippet of the judge's, defined with the learner's module in reach as `sub`."""
        import numpy as np
        namespace = {"__builtins__": builtins, "__name__": "kata_snippet", "sub": self.objects.get(MODULE),
                     "np": np, "math": math}
        if self.torch is not None:
            from . import simdevice
            namespace.update(torch=self.torch, nn=self.torch.nn, F=self.torch.nn.functional, simdevice=simdevice)
        exec(compile(code.source, "<kata snippet>", "exec"), namespace)  # noqa: S102 - the judge's own code
        return namespace[code.name]


class DeadlinePassed(BaseException):
    """The call ran past the time the check gave it (a BaseException: `except Exception` in the
    learner's code does not swallow it)."""


class _deadline:
    """SIGALRM after `seconds`, raising DeadlinePassed inside whatever the learner's code runs."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds

    def __enter__(self):
        if self.seconds:
            def stop(signum, frame):
                raise DeadlinePassed()
            self.previous = signal.signal(signal.SIGALRM, stop)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc) -> None:
        if self.seconds:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)


class JudgeObject:
    """A check's own object (a spy layer, say), used by the learner's code through callbacks."""

    def __init__(self, server: Server, number: int) -> None:
        object.__setattr__(self, "_server", server)
        object.__setattr__(self, "_number", number)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._server.ask_judge({"cb": self._number, "get": name})

    def __iter__(self):
        return iter(self._server.ask_judge({"cb": self._number, "iter": True}))

    def __call__(self, *args, **kwargs) -> Any:
        return self._server.ask_judge({"cb": self._number}, args=list(args), kw=kwargs)


def _kind(obj: Any) -> str:
    kind = type(obj).__name__
    return kind if isinstance(kind, str) and len(kind) < 80 else "object"


def error_fields(exc: BaseException, job: LearnerJob) -> dict:
    """What the judge learns of an exception: its type's name, bounded text, the learner's frames."""
    if isinstance(exc, SubmissionLoadError):
        return {"type": "SubmissionLoadError", "load": True, "message": _bounded(str(exc), 4 * TEXT_LIMIT),
                "line": exc.line, "memory": exc.out_of_memory}
    try:
        message = str(exc)
    except BaseException:  # noqa: BLE001 - a __str__ that raises
        message = "(no message)"
    try:
        traceback_text = learner_traceback(exc, job.path, job.display)
    except BaseException:  # noqa: BLE001
        traceback_text = f"{type(exc).__name__}: {message}"
    frames = learner_frames(exc, job.path)
    return {"type": type(exc).__name__, "builtin": type(exc).__module__ == "builtins",
            "function": frames[-1].name if frames else "",
            "message": _bounded(message, TEXT_LIMIT), "traceback": _bounded(traceback_text, 2 * TEXT_LIMIT),
            "line": learner_line(exc, job.path), "not_implemented": isinstance(exc, NotImplementedError),
            "memory": _out_of_memory(exc), "exit": repr(exc.code)[:200] if isinstance(exc, SystemExit) else None,
            "recursion": isinstance(exc, RecursionError), "refused": isinstance(exc, Refused),
            "deadline": isinstance(exc, DeadlinePassed)}


def _out_of_memory(exc: BaseException) -> bool:
    if isinstance(exc, MemoryError):
        return True
    text = str(exc) if isinstance(exc, RuntimeError) else ""
    return "can't allocate memory" in text or "out of memory" in text.lower()


def _bounded(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 40] + f" [... {len(text) - limit + 40} characters cut]"


class _Captured:
    """Swap sys.stdout/sys.stderr for a bounded buffer (head and tail kept, the middle dropped)."""

    def __enter__(self) -> "_Captured":
        self.saved = sys.stdout, sys.stderr
        self.buffer = _BoundedText(OUTPUT_LIMIT)
        sys.stdout = sys.stderr = self.buffer
        return self

    def __exit__(self, *exc) -> None:
        sys.stdout, sys.stderr = self.saved

    def text(self) -> str:
        return self.buffer.getvalue()


class _BoundedText(io.TextIOBase):
    def __init__(self, limit: int):
        self.limit, self.head, self.tail, self.dropped = limit, [], "", 0
        self.head_size = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        text = str(text)
        written = len(text)
        half = self.limit // 2
        if self.head_size < half:
            take = text[: half - self.head_size]
            self.head.append(take)
            self.head_size += len(take)
            text = text[len(take):]
        if text:
            joined = self.tail + text
            self.dropped += max(0, len(joined) - half)
            self.tail = joined[-half:]
        return written

    def getvalue(self) -> str:
        middle = f"\n[... {self.dropped} characters of output dropped ...]\n" if self.dropped else ""
        return "".join(self.head) + middle + self.tail
