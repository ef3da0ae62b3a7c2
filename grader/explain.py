"""An exception from the learner's own line, read in terms of its shapes and axes.

NumPy's and torch's messages name the shapes that clashed but not what that means for the code
that raised them ("operands could not be broadcast together with shapes (6,3) (6,)"). `explain`
reads the messages that beginners meet most (broadcasting, matrix products, reshapes, windows
longer than an axis, axes and indices out of range, dtypes, autograd's graph) and says what the
numbers in them show. It names a cause only where the message's own numbers show it; otherwise
it says what the message means, and nothing for a message it does not know.
"""
from __future__ import annotations

import re
from typing import Callable

Reader = Callable[[re.Match], str]


def _shape(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text))


def _show(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _factor(a: int, b: int) -> str:
    """' (16 = 4 x 4)' when one length is a multiple of the other: an axis flattened or not reduced."""
    small, large = sorted((a, b))
    if small > 1 and large % small == 0 and large != small:
        return f" ({large} = {small} x {large // small}: an axis flattened into another, or one never reduced?)"
    return ""


def _broadcast(shapes: list[tuple[int, ...]]) -> str:
    a, b = shapes[0], shapes[1]
    width = max(len(a), len(b))
    pa, pb = (1,) * (width - len(a)) + a, (1,) * (width - len(b)) + b
    clash = [i for i in range(width) if pa[i] != pb[i] and 1 not in (pa[i], pb[i])]
    text = (f"NumPy and torch line shapes up from the last axis, so {_show(a)} and {_show(b)} put "
            + ", ".join(f"{pa[i]} against {pb[i]}" for i in clash) + " on the same axis.")
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    if len(short) < len(long_) and short and short[-1] != long_[-1] and short[-1] in long_[:-1]:
        axis = long_.index(short[-1])
        text += (f" Your {_show(short)} matches axis {axis} of {_show(long_)}, not its last: give it a"
                 f" length-1 axis to line it up (v[:, None], or keepdims=True where it was reduced).")
    return text


def _size_mismatch(m: re.Match) -> str:
    a, b, dim = int(m["a"]), int(m["b"]), m["dim"]
    return (f"two tensors met in one elementwise operation with lengths {a} and {b} on the same axis"
            f" (dimension {dim} of the broadcast result){_factor(a, b)}. Print both shapes just before"
            " that line.")


def _matmul(m: re.Match) -> str:
    (n, k), (k2, p) = _shape(m["a"]), _shape(m["b"])
    text = (f"a matrix product ({n} x {k}) @ ({k2} x {p}) needs the inner lengths equal, and they are"
            f" {k} and {k2}.")
    if n == k2:
        text += " The first one transposed (.T) would fit: check which side of @ it belongs on."
    elif p == k:
        text += " The second one transposed (.T) would fit."
    return text


def _gufunc(m: re.Match) -> str:
    return (f"a matrix product's inner lengths differ ({m['a']} and {m['b']}): the columns of the left"
            " operand must match the rows of the right one (a missing .T, or the operands swapped?).")


def _reshape(m: re.Match) -> str:
    shape, size = _shape(m["shape"]), int(m["size"])
    need = 1
    for n in shape:
        need *= n
    return (f"the reshape to {_show(shape)} needs {need} entries and the input has {size}: the sizes"
            " you reshape to do not come from this input's shape (read them from x.shape).")


def _window(m: re.Match) -> str:
    return (f"Tensor.unfold asked for windows of {m['size']} along dimension {m['dim']}, which has only"
            f" {m['max']} entries: pad the input before cutting windows, or check which axis the window"
            " size is taken from.")


def _axis(m: re.Match) -> str:
    found = m.groupdict()  # torch names the highest axis, NumPy the number of axes
    ndim = int(found["ndim"]) if "ndim" in found else int(found["high"]) + 1
    return (f"the {found.get('what', 'tensor')} has {ndim} axes (0 to {ndim - 1}) and axis {m['got']} was asked"
            " for: it has fewer axes than the code assumes (a batch axis missing, or already reduced"
            " away?).")


def _index(m: re.Match) -> str:
    i, n = int(m["i"]), int(m["n"])
    past = ", one past the end" if i == n else ""
    return (f"index {i} was used on axis {m['axis']}, which has {n} entries (0 to {n - 1}){past}: a"
            " range or an index computed one too far?")


def _dtype(m: re.Match) -> str:
    return ("tensors of two dtypes met (float32 and float64, or a float and an integer): make new"
            " tensors with the dtype of the inputs (dtype=x.dtype), or convert with .to(x.dtype).")


READERS: tuple[tuple[re.Pattern, Reader], ...] = (
    (re.compile(r"could not be broadcast together with shapes ((?:\([\d, ]*\) ?)+)"),
     lambda m: _broadcast([_shape(s) for s in re.findall(r"\([\d, ]*\)", m[1])])),
    (re.compile(r"size of tensor a \((?P<a>\d+)\) must match the size of tensor b \((?P<b>\d+)\) at"
                r" non-singleton dimension (?P<dim>-?\d+)"), _size_mismatch),
    (re.compile(r"shapes cannot be multiplied \((?P<a>\d+x\d+) and (?P<b>\d+x\d+)\)"), _matmul),
    (re.compile(r"mismatch in its core dimension \d+.*\(size (?P<b>\d+) is different from (?P<a>\d+)\)"),
     _gufunc),
    (re.compile(r"shapes \((?P<a>\d+),\) and \((?P<b>\d+),\) not aligned"),
     lambda m: f"a dot product of vectors of lengths {m['a']} and {m['b']}: they must be equal."),
    (re.compile(r"shape '\[(?P<shape>[-\d, ]*)\]' is invalid for input of size (?P<size>\d+)"), _reshape),
    (re.compile(r"cannot reshape array of size (?P<size>\d+) into shape \((?P<shape>[-\d, ]*)\)"), _reshape),
    (re.compile(r"maximum size for tensor at dimension (?P<dim>\d+) is (?P<max>\d+) but size is (?P<size>\d+)"),
     _window),
    (re.compile(r"Dimension out of range \(expected to be in range of \[-?\d+, (?P<high>\d+)\], but got"
                r" (?P<got>-?\d+)\)"), _axis),
    (re.compile(r"axis (?P<got>-?\d+) is out of bounds for (?P<what>array) of dimension (?P<ndim>\d+)"),
     _axis),
    (re.compile(r"index (?P<i>-?\d+) is out of bounds for (?:axis|dimension) (?P<axis>\d+) with size (?P<n>\d+)"),
     _index),
    (re.compile(r"view size is not compatible with input tensor's size and stride"),
     lambda m: (".view needs a tensor laid out contiguously, and this one is not (after a transpose or"
                " permute): use .reshape(...), or .contiguous().view(...).")),
    (re.compile(r"expected (?:scalar type \w+ but found \w+|both vectors to have same dtype|m1 and m2 to have"
                r" the same dtype|mat1 and mat2 to have the same dtype)", re.I), _dtype),
    (re.compile(r"modified by an inplace operation"),
     lambda m: ("a tensor autograd saved for the backward pass was changed in place afterwards (x += ...,"
                " x[...] = ..., an op ending in _): write the result to a new tensor instead.")),
    (re.compile(r"does not require grad and does not have a grad_fn"),
     lambda m: ("backward() on a result that records no history: somewhere the graph was cut (.detach(),"
                " .item(), .numpy(), torch.no_grad(), or a new tensor built from values).")),
    (re.compile(r"Can't call numpy\(\) on Tensor that requires grad"),
     lambda m: ".numpy() on a tensor that records history: call .detach() first (or .item() for one number)."),
    (re.compile(r"only one element tensors can be converted to Python scalars|a Tensor with \d+ elements"
                r" cannot be converted to Scalar|can only convert an array of size 1"),
     lambda m: (".item() or float() on a tensor of several entries: reduce it first (.sum() or .mean()),"
                " or keep it a tensor.")),
)


def explain(message: str) -> str | None:
    """What an exception's message shows, in the learner's shapes and axes; None when unknown."""
    for pattern, read in READERS:
        found = pattern.search(message or "")
        if found:
            try:
                return read(found)
            except (ValueError, IndexError):  # numbers that do not parse as the reading expects
                return None
    return None
