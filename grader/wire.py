"""Plain data between the judge and the learner's process, in a format that cannot run code.

One message is a JSON header followed by raw buffers, each with its length:

    [8-byte header length][header JSON][8-byte count][8-byte length, bytes]*

Values inside the header are JSON, with tagged objects for what JSON lacks:

    {"t": [...]}                      a tuple
    {"d": [[key, value], ...]}        a dict (any plain keys)
    {"set": [...]}                    a set
    {"a": i, "dt": "float64", "sh": [2, 3], "ro": true}  a NumPy array (buffer i; "ro": read-only)
    {"n": value, "dt": "float32"}                      a NumPy scalar
    {"T": i, "dt": "float32", "sh": [...], "rg": bool, "dev": "cpu", "par": bool}   a torch tensor
    {"b": i}                          bytes
    {"dtype": "float32"} / {"device": "cpu"} / {"slice": [a, b, c]} / {"ellipsis": 1}
    {"same": i}                       the i-th array or tensor of the request, returned as it is
    {"r": id, "k": "Linear"}          a handle to an object that lives in the learner's process
    {"c": id}                         a callback: a function of the judge, called with plain data
    {"o": id}                         an object of the judge's: its attributes and methods are callbacks
    {"rng": state}                    a NumPy Generator (PCG64), as a copy from the same state
    {"code": source, "name": n}       a function the judge defines in the learner's process

`Decoder` is strict: exact built-in JSON types, dtypes from a fixed list, buffers whose length
matches the shape, and nothing else. The judge never unpickles, evaluates or imports what the
learner's process sends; `code` values are accepted only on the learner's side.
"""
from __future__ import annotations

import json
import math
from collections import OrderedDict
import socket
import struct
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

HEADER_LIMIT = 64 * 2**20  # bytes of JSON in one message
DATA_LIMIT = 1024 * 2**20  # bytes of buffers in one message
DEPTH_LIMIT = 64
DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float16", "float32", "float64", "complex64", "complex128")
TORCH_DTYPES = DTYPES[:6] + ("float16", "bfloat16", "float32", "float64", "complex64", "complex128")
_LEN = struct.Struct(">Q")


class WireError(Exception):
    """A message that is not well-formed plain data (or the other end went away)."""


class Closed(WireError):
    """The other end closed the connection."""


@dataclass(frozen=True)
class Ref:
    """A handle, as it travels: an object of the learner's process, by number."""
    id: int
    kind: str = ""


@dataclass(frozen=True)
class Code:
    """A function, as source, that the judge defines in the learner's process."""
    source: str
    name: str


def _torch():
    import sys
    return sys.modules.get("torch")


# --- encoding -----------------------------------------------------------------------------------

class Encoder:
    """Turns a value into (header-ready JSON value, buffers). `other(obj)` gives the tag for an
    object that is not plain data: a Ref on the learner's side, a callback on the judge's."""

    def __init__(self, other: Callable[[Any], dict], same: list | None = None) -> None:
        self.other = other
        self.buffers: list[bytes | memoryview] = []
        self.arrays: list = []  # every array and tensor sent, in order (see Decoder.changed)
        # The arrays the request brought (Decoder.arrays): one of them returned is sent as
        # {"same": index}, and the caller gets its own object back, as a function call would.
        self.same = {id(x): (i, x) for i, (x, _) in enumerate(same or [])}

    def _same(self, x) -> dict | None:
        found = self.same.get(id(x))
        return {"same": found[0]} if found is not None and found[1] is x else None

    def value(self, x: Any, depth: int = 0) -> Any:
        if depth > DEPTH_LIMIT:
            raise WireError("value nested too deeply")
        t = type(x)
        if x is None or t in (bool, str):
            return x
        if t is int:
            return x
        if t is float:
            return x if math.isfinite(x) else {"f": repr(x)}
        if t is list:
            return [self.value(v, depth + 1) for v in x]
        if t is tuple:
            return {"t": [self.value(v, depth + 1) for v in x]}
        if t is dict or t is OrderedDict:  # a state_dict is an OrderedDict
            return {"d": [[self.value(k, depth + 1), self.value(v, depth + 1)] for k, v in x.items()]}
        if t in (set, frozenset):
            return {"set": [self.value(v, depth + 1) for v in x]}
        if t is bytes:
            return {"b": self._buffer(x)}
        if t is np.ndarray and x.dtype.name in DTYPES:
            if self.same and (tag := self._same(x)) is not None:
                return tag
            self.arrays.append(x)
            tag = {"a": self._buffer(_array_bytes(x)), "dt": x.dtype.name, "sh": list(x.shape)}
            return tag if x.flags.writeable else {**tag, "ro": True}  # read-only stays read-only
        if isinstance(x, np.generic) and t.__module__ == "numpy" and x.dtype.name in DTYPES:
            item = x.item()
            return {"n": self.value(item, depth + 1), "dt": x.dtype.name}
        if t is slice:
            return {"slice": [self.value(v, depth + 1) for v in (x.start, x.stop, x.step)]}
        if x is Ellipsis:
            return {"ellipsis": 1}
        if t is Code:
            return {"code": x.source, "name": x.name}
        if t is np.random.Generator and type(x.bit_generator) is np.random.PCG64:
            return {"rng": self.value(x.bit_generator.state, depth + 1)}  # a copy, from the same state
        torch = _torch()
        if torch is not None:
            if t in (torch.Tensor, torch.nn.Parameter) and _dtype_name(x.dtype) in TORCH_DTYPES \
                    and x.layout == torch.strided:
                return self._tensor(torch, x, t is torch.nn.Parameter)
            if t is torch.dtype and _dtype_name(x) in TORCH_DTYPES:
                return {"dtype": _dtype_name(x)}
            if t is torch.device:
                return {"device": str(x)}
        return self.other(x)

    def _tensor(self, torch, x, parameter: bool) -> dict:
        if self.same and (tag := self._same(x)) is not None:
            return tag
        self.arrays.append(x)
        data = _tensor_bytes(torch, x)
        return {"T": self._buffer(data), "dt": _dtype_name(x.dtype), "sh": list(x.shape),
                "rg": bool(x.requires_grad), "dev": str(x.device), "par": parameter}

    def _buffer(self, data) -> int:
        self.buffers.append(data)
        return len(self.buffers) - 1


def _array_bytes(x: np.ndarray) -> memoryview:
    """The array's bytes, without a copy where it is contiguous already."""
    return memoryview(np.ascontiguousarray(x).reshape(-1).view(np.uint8))


def _tensor_bytes(torch, x) -> memoryview:
    with torch.no_grad():
        flat = x.detach().to("cpu").contiguous()
    return memoryview(flat.reshape(-1).view(torch.uint8).numpy()) if flat.numel() else memoryview(b"")


def _digest(data) -> np.ndarray:
    """A copy of the bytes, to tell later whether the array built on them was changed in place
    (a vectorised comparison: far faster than hashing)."""
    return np.frombuffer(bytes(data), dtype=np.uint8)


def _same_bytes(data, digest: np.ndarray) -> bool:
    now = np.frombuffer(data, dtype=np.uint8)
    return now.shape == digest.shape and bool(np.array_equal(now, digest))


def write_back(original, value) -> None:
    """Copy `value` into the array or tensor `original` in place (an argument the other side
    changed in place), where the shape and dtype still agree."""
    torch = _torch()
    if type(original) is np.ndarray and type(value) is np.ndarray:
        if original.shape == value.shape and original.dtype == value.dtype and original.flags.writeable:
            np.copyto(original, value)
    elif torch is not None and isinstance(original, torch.Tensor) and isinstance(value, torch.Tensor):
        if original.shape == value.shape and original.dtype == value.dtype:
            with torch.no_grad():
                original.data.copy_(value.to(original.device))


def _dtype_name(dtype) -> str:
    return str(dtype).removeprefix("torch.")


def send(sock: socket.socket, header: dict, buffers: list) -> None:
    head = json.dumps(header, separators=(",", ":"), allow_nan=False).encode()
    small = [_LEN.pack(len(head)), head, _LEN.pack(len(buffers))]
    for data in buffers:
        small.append(_LEN.pack(_nbytes(data)))
        if _nbytes(data) < 1 << 16:
            small.append(bytes(data))
        else:  # large buffers go as they are, no copy
            sock.sendall(b"".join(small))
            small = []
            sock.sendall(data)
    if small:
        sock.sendall(b"".join(small))


def _nbytes(data) -> int:
    return data.nbytes if isinstance(data, memoryview) else len(data)


def encode_message(header: dict, other: Callable[[Any], dict], same: list | None = None,
                   **values) -> tuple[dict, list]:
    encoder = Encoder(other, same)
    header = dict(header)
    for key, value in values.items():
        header[key] = encoder.value(value)
    return header, encoder.buffers


# --- decoding -----------------------------------------------------------------------------------

def receive(sock: socket.socket) -> tuple[dict, list[bytes]]:
    size = _LEN.unpack(_exactly(sock, 8))[0]
    if size > HEADER_LIMIT:
        raise WireError(f"a message header of {size} bytes")
    try:
        header = json.loads(_exactly(sock, size))
    except (ValueError, RecursionError) as exc:
        raise WireError(f"not JSON: {exc}") from None
    if type(header) is not dict:
        raise WireError("a message that is not an object")
    count = _LEN.unpack(_exactly(sock, 8))[0]
    buffers, total = [], 0
    if count > 1_000_000:
        raise WireError("too many buffers")
    for _ in range(count):
        length = _LEN.unpack(_exactly(sock, 8))[0]
        total += length
        if total > DATA_LIMIT:
            raise WireError(f"more than {DATA_LIMIT // 2**20} MiB of data in one reply")
        buffers.append(_exactly(sock, length, into=bytearray(length)))
    return header, buffers


def _exactly(sock: socket.socket, n: int, into: bytearray | None = None) -> bytes | bytearray:
    """n bytes from the socket; into `into` (a writable buffer the arrays are made on) if given."""
    if into is not None:
        view, got = memoryview(into), 0
        while got < n:
            count = sock.recv_into(view[got:], n - got)
            if not count:
                raise Closed("the other process closed the connection")
            got += count
        return into
    chunks, left = [], n
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise Closed("the other process closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class Decoder:
    """Rebuilds plain values; `ref(Ref)`, `callback(id)` and `code(Code)` give the objects for
    the tags that stand for something else (None: the tag is refused)."""

    def __init__(self, buffers: list[bytes], *, ref: Callable | None = None,
                 callback: Callable | None = None, code: Callable | None = None, sent: list | None = None,
                 judge_object: Callable | None = None) -> None:
        self.buffers, self.ref, self.callback, self.code = buffers, ref, callback, code
        self.judge_object = judge_object
        self.sent = sent or []  # the arrays of the request this answers (for {"same": i})
        self.arrays: list = []  # (array or tensor, a digest of the bytes it was made from), in order

    def changed(self) -> list:
        """[index, value] for each array or tensor received that was changed in place since: the
        caller's copy is updated to match, as if it had been passed by reference."""
        torch = _torch()
        out = []
        for index, (x, digest) in enumerate(self.arrays):
            try:
                same = _same_bytes(_array_bytes(x) if type(x) is np.ndarray else _tensor_bytes(torch, x), digest)
            except Exception:  # noqa: BLE001 - an array made unreadable is not sent back
                continue
            if not same:
                out.append([index, x])
        return out

    def value(self, x: Any, depth: int = 0) -> Any:
        if depth > DEPTH_LIMIT:
            raise WireError("value nested too deeply")
        t = type(x)
        if x is None or t in (bool, int, float, str):
            return x
        if t is list:
            return [self.value(v, depth + 1) for v in x]
        if t is not dict or len(x) == 0:
            raise WireError(f"a value of type {t.__name__}")
        if "t" in x:
            return tuple(self.value(v, depth + 1) for v in _exact(x["t"], list))
        if "d" in x:
            out = {}
            for pair in _exact(x["d"], list):
                key, value = _exact(pair, list)
                key = self.value(key, depth + 1)
                try:
                    out[key] = self.value(value, depth + 1)
                except TypeError:
                    raise WireError("an unhashable dict key") from None
            return out
        if "set" in x:
            try:
                return set(self.value(v, depth + 1) for v in _exact(x["set"], list))
            except TypeError:
                raise WireError("an unhashable set member") from None
        if "f" in x:
            text = _exact(x["f"], str)
            if text not in ("nan", "inf", "-inf"):
                raise WireError("a float that is not nan or inf")
            return float(text)
        if "b" in x:
            return bytes(self._buffer(x["b"]))
        if "a" in x:
            dtype, shape = self._dtype(x, DTYPES), self._shape(x)
            data = self._buffer(x["a"])
            if len(data) != math.prod(shape) * np.dtype(dtype).itemsize:
                raise WireError("an array whose data does not match its shape")
            digest = _digest(data)
            array = np.frombuffer(data if isinstance(data, bytearray) else bytearray(data), dtype=dtype).reshape(shape)
            if x.get("ro") is True:
                array.flags.writeable = False
            self.arrays.append((array, digest))
            return array
        if "n" in x:
            dtype = self._dtype(x, DTYPES)
            value = self.value(x["n"], depth + 1)
            if type(value) not in (bool, int, float, complex):
                raise WireError("a NumPy scalar that is not a number")
            return np.dtype(dtype).type(value)
        if "T" in x:
            return self._tensor(x)
        if "dtype" in x:
            torch = _need_torch()
            return getattr(torch, self._dtype({"dt": x["dtype"]}, TORCH_DTYPES))
        if "device" in x:
            return _need_torch().device(_exact(x["device"], str))
        if "slice" in x:
            parts = [self.value(v, depth + 1) for v in _exact(x["slice"], list)]
            if len(parts) != 3 or any(p is not None and type(p) is not int for p in parts):
                raise WireError("a slice that is not of ints")
            return slice(*parts)
        if "ellipsis" in x:
            return Ellipsis
        if "rng" in x:
            state = self.value(x["rng"], depth + 1)
            generator = np.random.Generator(np.random.PCG64())
            try:
                generator.bit_generator.state = state
            except (TypeError, ValueError, KeyError):
                raise WireError("a random generator state that is not PCG64's") from None
            return generator
        if "o" in x and self.judge_object is not None:
            return self.judge_object(_exact(x["o"], int))
        if "same" in x:
            index = _exact(x["same"], int)
            if not 0 <= index < len(self.sent):
                raise WireError("a reference to an array that was not sent")
            return self.sent[index]
        if "r" in x and self.ref is not None:
            return self.ref(Ref(_exact(x["r"], int), x.get("k") if type(x.get("k")) is str else ""))
        if "c" in x and self.callback is not None:
            return self.callback(_exact(x["c"], int))
        if "code" in x and self.code is not None:
            return self.code(Code(_exact(x["code"], str), _exact(x.get("name"), str)))
        raise WireError(f"an unknown tag {sorted(x)[:3]}")

    def _buffer(self, index) -> bytes:
        index = _exact(index, int)
        if not 0 <= index < len(self.buffers):
            raise WireError("a buffer that is not there")
        return self.buffers[index]

    @staticmethod
    def _dtype(x: dict, allowed: tuple[str, ...]) -> str:
        dtype = _exact(x.get("dt"), str)
        if dtype not in allowed:
            raise WireError(f"dtype {dtype[:40]!r}")
        return dtype

    @staticmethod
    def _shape(x: dict) -> tuple[int, ...]:
        shape = tuple(_exact(x.get("sh"), list))
        if len(shape) > 32 or any(type(n) is not int or n < 0 for n in shape):
            raise WireError("a shape that is not a list of sizes")
        return shape

    def _tensor(self, x: dict):
        digest = _digest(self._buffer(x["T"]))
        tensor = self._tensor_value(x)
        self.arrays.append((tensor, digest))
        return tensor

    def _tensor_value(self, x: dict):
        torch = _need_torch()
        dtype = getattr(torch, self._dtype(x, TORCH_DTYPES))
        shape = self._shape(x)
        data = self._buffer(x["T"])
        itemsize = torch.empty((), dtype=dtype).element_size()
        if len(data) != math.prod(shape) * itemsize:
            raise WireError("a tensor whose data does not match its shape")
        if data:
            buffer = data if isinstance(data, bytearray) else bytearray(data)
            tensor = torch.frombuffer(buffer, dtype=torch.uint8).view(dtype).reshape(shape)
        else:
            tensor = torch.empty(shape, dtype=dtype)
        device = x.get("dev")
        if type(device) is str and device.startswith("cuda") and torch.cuda.is_available():
            tensor = tensor.to(device)
        if x.get("par") is True and tensor.is_floating_point():
            return torch.nn.Parameter(tensor, requires_grad=x.get("rg") is True)
        if x.get("rg") is True and (tensor.is_floating_point() or tensor.is_complex()):
            tensor.requires_grad_(True)
        return tensor


def _exact(value, kind):
    if type(value) is not kind:
        raise WireError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value


def _need_torch():
    torch = _torch()
    if torch is None:
        import torch  # noqa: F811 - a tensor arrived where torch was not imported yet
    return torch
