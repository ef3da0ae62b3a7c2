"""The judge: where the hidden checks run, in a process that never loads the learner's file.

A check gets `sub`, a `Learner`: a stand-in for the learner's module that lives in the learner's
process (grader/learner.py) at the other end of a socket. Everything a check does with it is a
call across that boundary, answered with plain data (grader/wire.py):

    got = sub.forward(x, w)                 # call a function: arrays and tensors go and come back
    layer = sub.Linear(3, 2)                # a class: a handle (`Remote`) to the object there
    layer.weight, layer(x)                  # its attributes and methods, through the handle
    sub.train(x, y, loss=reference_loss)    # a function of the check: called back with plain data
    sub.run(snippet, x)                     # a small function of the check's module, run there
    sub.isinstance(obj, sub.Linear)         # built-ins on handles: isinstance, len, list, type

The oracles, the expected values, the tolerances, the comparisons and the verdict stay here.
What comes back can only be what the learner's functions returned: no object of the learner's
ever enters this process, and what the learner's process sends is never unpickled or run. An
exception there arrives as a `LearnerError` (a subclass of the built-in exception it mirrors, so
`expect_raises(ValueError, ...)` works) carrying the learner's own traceback text.
"""
from __future__ import annotations

import inspect
import os
import sys
import socket
import textwrap
from typing import Any, Callable

from . import fingerprint, wire

EXIT_LEARNER_GONE = 3  # the judge's exit status when the learner's process ended or broke the protocol
TEXT_LIMIT = 8000  # characters of any text the learner's process sends
TRACE_LIMIT = 64  # calls of one check whose results are fingerprinted


def _is_check_object(obj: Any) -> bool:
    """An instance of a class defined in a check module (a spy layer, a data loader)."""
    module = sys.modules.get(type(obj).__module__)
    path = str(getattr(module, "__file__", "") or "")
    return "/checks/" in path.replace("\\", "/") and type(obj).__module__ != "builtins"


class LearnerGone(Exception):
    """The learner's process ended, or sent something that is not plain data."""


class LearnerError(Exception):
    """An exception raised by the learner's code, as its process described it."""
    type_name = "Exception"
    message = ""
    traceback = ""
    line: int | None = None
    function = ""
    not_implemented = memory = recursion = refused = load = deadline = False
    exit: str | None = None

    def __str__(self) -> str:
        return f"{self.type_name}: {self.message}" if self.message else self.type_name


_MIRRORS: dict[str, type] = {}


def learner_error(fields: Any) -> LearnerError:
    """A LearnerError from the fields the learner's process sent, checked field by field."""
    if type(fields) is not dict:
        raise LearnerGone("an error report that is not an object")
    type_name = _text(fields.get("type"), 100) or "Exception"
    cls = LearnerError
    builtin = getattr(__import__("builtins"), type_name, None) if fields.get("builtin") is True else None
    if isinstance(builtin, type) and issubclass(builtin, Exception) and not issubclass(builtin, LearnerError):
        if type_name not in _MIRRORS:
            _MIRRORS[type_name] = type(type_name, (LearnerError, builtin), {"__module__": "learner"})
        cls = _MIRRORS[type_name]
    try:
        error = cls()
    except Exception:  # noqa: BLE001 - a built-in that needs arguments (UnicodeDecodeError): no mirror
        error = LearnerError()
    error.type_name = type_name
    error.message = _text(fields.get("message"), TEXT_LIMIT)
    error.traceback = _text(fields.get("traceback"), TEXT_LIMIT)
    error.function = _text(fields.get("function"), 200)
    line = fields.get("line")
    error.line = line if type(line) is int else None
    for flag in ("not_implemented", "memory", "recursion", "refused", "load", "deadline"):
        setattr(error, flag, fields.get(flag) is True)
    error.exit = _text(fields.get("exit"), 200) if fields.get("exit") is not None else None
    return error


def _text(value: Any, limit: int) -> str:
    if type(value) is not str:
        return ""
    return value if len(value) <= limit else value[: limit - 40] + f" [... {len(value) - limit + 40} characters cut]"


# --- the connection -----------------------------------------------------------------------------

class Connection:
    """One learner's process, as the judge talks to it. `on_gone` is called (and must not return
    normally in a grading judge) when the process ends or breaks the protocol."""

    def __init__(self, sock: socket.socket, on_gone: Callable[[str], None] | None = None) -> None:
        self.sock = sock
        self.on_gone = on_gone
        self.callbacks: dict[int, Callable] = {}
        self.deadline: float | None = None  # seconds each call may take (Learner.within)
        self.library_code = False  # calls run a library's own code, refusals lifted (Learner.library_code)
        self.trace: list = []  # what the running check's calls returned, as fingerprints (grader/mistakes.py)
        self.tracing = True  # off for a speed check (@pytest.mark.timed)

    def call_flags(self) -> dict:
        return {**({"deadline": self.deadline} if self.deadline else {}),
                **({"lifted": True} if self.library_code else {})}

    def request(self, op: str, flags: dict | None = None, **values) -> Any:
        try:
            encoder = wire.Encoder(self._outgoing)
            header = {"op": op, **(flags or {}), **{key: encoder.value(v) for key, v in values.items()}}
            wire.send(self.sock, header, encoder.buffers)
            while True:
                reply, data = wire.receive(self.sock)
                decoder = wire.Decoder(data, ref=self._remote, sent=encoder.arrays)
                if "cb" in reply:
                    self._answer(reply, decoder)
                elif "ok" in reply:
                    result = decoder.value(reply["ok"])
                    self._write_back(encoder.arrays, decoder.value(reply.get("changed", [])))
                    self._traced(op, lambda: fingerprint.fingerprint(result))
                    return result
                elif "err" in reply:
                    failure = learner_error(reply["err"])
                    self._traced(op, lambda: fingerprint.error(failure.type_name))
                    raise failure
                else:
                    raise wire.WireError("a reply that is neither a result nor an error")
        except (wire.WireError, OSError, LearnerGone) as exc:
            why = str(exc)
            if self.on_gone is not None:
                self.on_gone(why)
            raise LearnerGone(why) from None

    def _traced(self, op: str, fingerprint_of: Callable[[], list]) -> None:
        if op == "call" and self.tracing and len(self.trace) < TRACE_LIMIT:
            self.trace.append(fingerprint_of())

    @staticmethod
    def _write_back(sent: list, changed: Any) -> None:
        """The learner's code changed arguments in place: so do the check's own arrays."""
        for entry in changed if type(changed) is list else []:
            if type(entry) is list and len(entry) == 2 and type(entry[0]) is int and 0 <= entry[0] < len(sent):
                wire.write_back(sent[entry[0]], entry[1])

    def _outgoing(self, obj: Any) -> dict:
        if isinstance(obj, Remote):
            return {"r": object.__getattribute__(obj, "_kata_ref")}
        if callable(obj):
            return {"c": self._register(obj)}
        if type(obj).__module__.startswith(("grader.checks", "test_")) or _is_check_object(obj):
            return {"o": self._register(obj)}  # a check's own object: the learner's code uses it by callbacks
        raise TypeError(f"kata cannot send a {type(obj).__name__} to the learner's process")

    def _register(self, obj: Any) -> int:
        number = len(self.callbacks) + 1
        self.callbacks[number] = obj
        return number

    def _remote(self, ref: wire.Ref) -> "Remote":
        return Remote(self, ref.id, ref.kind)

    def _answer(self, reply: dict, decoder: wire.Decoder) -> None:
        """The learner's code called one of the check's functions: run it on the plain data sent."""
        function = self.callbacks.get(reply.get("cb")) if type(reply.get("cb")) is int else None
        try:
            if function is None:
                raise wire.WireError("a callback that was never sent")
            header, data = wire.encode_message({}, self._outgoing, ok=self._callback_value(function, reply, decoder))
        except wire.WireError:
            raise
        except AttributeError as exc:
            header, data = {"err": f"AttributeError: {exc}"[:TEXT_LIMIT], "attribute": True}, []
        except Exception as exc:  # noqa: BLE001 - the learner's code sees the check's function fail
            header, data = {"err": f"{type(exc).__name__}: {exc}"[:TEXT_LIMIT]}, []
        wire.send(self.sock, header, data)

    @staticmethod
    def _callback_value(function: Any, reply: dict, decoder: wire.Decoder) -> Any:
        """What the learner's code asked of a check's function or object: an attribute, its
        items, or a call."""
        if "get" in reply:
            name = reply["get"]
            if type(name) is not str or name.startswith("_"):
                raise AttributeError(f"{name!r}")
            return getattr(function, name)
        if reply.get("iter") is True:
            return list(function)
        args = decoder.value(reply.get("args", []))
        kwargs = decoder.value(reply.get("kw", {"d": []}))
        if type(args) is not list or type(kwargs) is not dict:
            raise wire.WireError("callback arguments that are not a list and a dict")
        return function(*args, **kwargs)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


# --- handles ------------------------------------------------------------------------------------

class Remote:
    """An object of the learner's process, used through the connection."""
    __slots__ = ("_kata_conn", "_kata_ref", "_kata_kind")

    def __init__(self, conn: Connection, ref: int, kind: str = "") -> None:
        object.__setattr__(self, "_kata_conn", conn)
        object.__setattr__(self, "_kata_ref", ref)
        object.__setattr__(self, "_kata_kind", kind)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # pytest, copy and inspect probe these: never the learner's
        return self._kata_conn.request("get", {"name": name}, obj=self)

    def __setattr__(self, name: str, value: Any) -> None:
        self._kata_conn.request("set", {"name": name}, obj=self, value=value)

    def __delattr__(self, name: str) -> None:
        self._kata_conn.request("set", {"name": name, "delete": True}, obj=self)

    def __call__(self, *args, **kwargs) -> Any:
        conn = self._kata_conn
        return conn.request("call", conn.call_flags(), fn=self, args=list(args), kw=kwargs)

    def __len__(self) -> int:
        return self._do("len", self)

    def __iter__(self):
        return iter(self._do("list", self))

    def __getitem__(self, key):
        return self._do("getitem", self, key)

    def _do(self, what: str, *args) -> Any:
        return self._kata_conn.request("do", {"what": what}, args=list(args))

    def __repr__(self) -> str:
        return f"<your {self._kata_kind or 'object'}>"

    __hash__ = object.__hash__

    def __eq__(self, other) -> bool:
        return self is other


class Learner(Remote):
    """The learner's module (handle 0), with the calls a check makes beyond attributes."""
    __slots__ = ()

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn, 0, "module")

    def run(self, snippet: Callable, *args, **kwargs) -> Any:
        """Run `snippet` (a module-level function of the check module, written to use only its
        arguments, `sub`, np, torch, nn, F, math and simdevice) in the learner's process; its result comes
        back as plain data. For what only that process can do: autograd through the learner's
        result, a training loop on the learner's model. Nothing it computes is trusted."""
        conn = self._kata_conn
        return conn.request("call", conn.call_flags(), fn=code(snippet), args=list(args), kw=kwargs)

    def within(self, seconds: float):
        """Calls in the block are stopped after `seconds` each, raising a LearnerError whose
        `deadline` is set (a speed check's own limit, below the per-check time limit)."""
        return _Setting(self._kata_conn, "deadline", seconds)

    def library_code(self):
        """Calls in the block run a library's own code on the learner's objects (a torchvision
        detector's forward pass, which runs torchvision's NMS): the exercise's refusals are lifted
        while they run. Never around a call of a function the exercise asks the learner to write."""
        return _Setting(self._kata_conn, "library_code", True)

    def isinstance(self, obj: Any, cls: Any) -> bool:
        return self._do("isinstance", obj, cls) is True


class _Setting:
    """conn.<name> = value for the calls in a block."""

    def __init__(self, conn: Connection, name: str, value: Any) -> None:
        self.conn, self.name, self.value = conn, name, value

    def __enter__(self):
        self.previous = getattr(self.conn, self.name)
        setattr(self.conn, self.name, self.value)
        return self

    def __exit__(self, *exc) -> None:
        setattr(self.conn, self.name, self.previous)


def code(function: Callable) -> wire.Code:
    """A function of a check module, as source to define in the learner's process."""
    source = textwrap.dedent(inspect.getsource(function))
    lines = [line for line in source.splitlines() if not line.lstrip().startswith("@")]
    return wire.Code("\n".join(lines) + "\n", function.__name__)


def is_remote(obj: Any) -> bool:
    return isinstance(obj, Remote)


# --- the judge process --------------------------------------------------------------------------

def main(job, only: list[str] | None, write_fd: int, sock_fd: int) -> None:
    """Run the exercise's checks against the learner's process; ends with os._exit."""
    code_ = 0
    try:
        from . import channel
        channel.keep_only(write_fd, sock_fd)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        import sys
        # The parent's sys.stdout may write to a descriptor just closed (pytest's capture, a notebook's).
        sys.stdout = sys.stderr = open(os.devnull, "w")
        torch = sys.modules.get("torch")
        if torch is not None:
            torch.set_num_threads(job.threads)
        # Only kata's plugin grades: a pytest plugin installed beside kata (one that reorders or
        # reseeds tests) would change what the checks do.
        os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        import pytest

        from . import events as ev
        from .plugin import KataSession

        def emit(event) -> None:
            channel.send(write_fd, event)

        def gone(why: str) -> None:
            os._exit(EXIT_LEARNER_GONE)

        connection = Connection(socket.socket(fileno=sock_fd), on_gone=gone)
        session = KataSession(file=job.submission, spec=job.spec, display=job.display, emit=emit,
                              only=set(only) if only is not None else None, require_gpu=job.require_gpu,
                              memory_mib=job.spec.memory, threads=job.threads, connection=connection)
        args = [str(job.check_module), "-p", "grader.plugin", "-s", "--assert=plain", "--import-mode=importlib",
                "-p", "no:cacheprovider", "-p", "no:warnings", "-p", "no:terminal", "-p", "no:stepwise", "-p", "no:faulthandler",
                "--rootdir", str(job.check_module.parent), "-c", os.devnull]
        pytest.main(args, plugins=[session])
        emit(ev.Done())
    except BaseException:  # noqa: BLE001 - the parent sees the missing events and reports
        code_ = 1
    finally:
        os._exit(code_)
