"""How a learner's array differs from the expected one, told by its structure.

When values differ, the raw entries ("at [2, 1]: got 0.3, expected 0.6") rarely say what went
wrong. The same few mistakes leave the same few shapes in the numbers:

- an axis kept, dropped or reduced (a sum for a mean, a reduction over every axis, keepdims);
- a ratio of N, 2 or -1 (a sum where a mean belonged, a forgotten factor 2, a sign);
- an offset constant along one axis (a bias broadcast over the wrong axis);
- a transpose, a shift by one step, one step never computed (a loop one step short).

Each analysis here *replays* a transformation of the expected array and compares it with the
learner's: a finding is `named` (told as "Likely mistake") only when the replay reproduces the
learner's values; otherwise it says plainly what is observed. Nothing here raises: the helpers
call `shape_finding` / `value_finding` on their failure paths and word the result.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Mapping

import numpy as np

# Bound at import, before any submission is loaded (it may patch numpy).
_asarray = np.asarray
_isclose = np.isclose
_isfinite = np.isfinite
_abs = np.abs
_errstate = np.errstate
_flip = np.flip
_transpose = np.transpose
_median = np.median
_take = np.take
_float64 = np.float64
_full_like = np.full_like
_swapaxes = np.swapaxes
_broadcast_to = np.broadcast_to
_prod = np.prod

MIN_RTOL, MIN_ATOL = 1e-4, 1e-6


@dataclass(frozen=True)
class Finding:
    """What the structure of the difference shows; `named` when a replay reproduced it."""

    text: str
    named: bool


# --- helpers ----------------------------------------------------------------------------------

def _close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    if a.shape != b.shape:
        return False
    with _errstate(invalid="ignore", over="ignore"):
        return bool(_isclose(a, b, rtol=max(rtol, MIN_RTOL), atol=max(atol, MIN_ATOL)).all())


def _axis(a: int, n: int, names: Mapping[int, str] | None = None) -> str:
    label = (names or {}).get(a)
    return f"axis {a} ({label}, length {n})" if label else f"axis {a} (length {n})"


def _slice(x: np.ndarray, axis: int, start, stop) -> np.ndarray:
    index = [slice(None)] * x.ndim
    index[axis] = slice(start, stop)
    return x[tuple(index)]


def _num(x: float) -> str:
    return f"{float(x):.4g}"


MIN_EVIDENCE = 3  # distinct expected values a pattern must hold over before it is told


def _evidence(want: np.ndarray) -> bool:
    """Enough distinct, non-zero expected values for a pattern over them to say something: any two
    numbers have a ratio and a difference, so one or two entries show no pattern at all."""
    values = want[_isfinite(want) & (want != 0)]
    return len(set(values.round(12).tolist())) >= MIN_EVIDENCE


# --- shapes -------------------------------------------------------------------------------------

def shape_finding(got_shape: tuple, want_shape: tuple, got: np.ndarray | None = None,
                  want: np.ndarray | None = None, *, rtol: float = 1e-5, atol: float = 1e-8,
                  axis_names: Mapping[int, str] | None = None) -> Finding | None:
    """Why the shapes differ: which axes were kept, dropped, reduced, swapped or cut short.

    With the values (`got`, `want` as float arrays) each guess is replayed on `want`."""
    got_shape, want_shape = tuple(got_shape), tuple(want_shape)
    if got_shape == want_shape:
        return None
    values = got is not None and want is not None and bool(_isfinite(want).all())
    got_size, want_size = int(_prod(got_shape)), int(_prod(want_shape))

    if got_size == 1 and want_size > 1:
        if values:
            total, g = want.sum(), got.reshape(())
            if _close(g, _asarray(total), rtol, atol):
                return Finding(
                    f"you summed over every axis, reduced to a single value: it is the sum of all the {want_size}"
                    f" expected entries. Sum over one axis only (the batch axis, axis=0, where the"
                    f" samples are), which keeps shape {want_shape}", True)
            if _close(g, _asarray(want.mean()), rtol, atol):
                return Finding(
                    f"you averaged over every axis, reduced to a single value: it is the mean of all the"
                    f" expected entries. Reduce over one axis only, which keeps shape {want_shape}", True)
        return Finding(f"a single number where shape {want_shape} was expected: it looks reduced to a"
                       " single value over every axis (a .sum() or .mean() without axis=...)", False)

    ones = _length_one_axes(got_shape, want_shape)
    if ones is not None:
        return ones
    merged = _merge(got_shape, want_shape, got, want, values, rtol, atol, axis_names)
    if merged is not None:
        return merged

    # One axis too many: got = want with an axis inserted.
    if len(got_shape) == len(want_shape) + 1:
        for a in range(len(got_shape)):
            if got_shape[:a] + got_shape[a + 1:] != want_shape:
                continue
            where = _axis(a, got_shape[a])  # an axis of the learner's shape: the names are the expected one's
            if values:
                for verb, reduce in (("summed", got.sum), ("averaged", got.mean)):
                    if _close(reduce(axis=a), want, rtol, atol):
                        return Finding(f"{where} is still there: {verb} over it, your values give the"
                                       f" expected result. Reduce over axis={a} (without keepdims)", True)
            if got_shape[a] == 1:
                return Finding(f"an extra axis of length 1 at position {a}: keepdims=True, an index"
                               f" or gather kept 2-D, or a reshape that adds an axis? (.squeeze({a})"
                               " removes it)", False)
            return Finding(f"one axis too many: {where} should have been reduced or removed", False)

    # One axis too few: got = want with an axis taken out.
    if len(got_shape) + 1 == len(want_shape):
        for a in range(len(want_shape)):
            if want_shape[:a] + want_shape[a + 1:] != got_shape:
                continue
            where = _axis(a, want_shape[a], axis_names)
            if values:
                for verb, reduce in (("summed", want.sum), ("averaged", want.mean), ("took the max",
                                                                                    want.max)):
                    if _close(got, reduce(axis=a), rtol, atol):
                        return Finding(f"you {verb} over {where}, which should be kept: your values are"
                                       f" the expected ones {verb.replace('took the', 'with the')}"
                                       f" over axis {a}", True)
            if want_shape[a] == 1:
                return Finding(f"the axis of length 1 at position {a} is missing (squeezed or"
                               " reduced away?)", False)
            return Finding(f"{where} is missing: reduced over or dropped", False)

    if len(got_shape) == len(want_shape):
        # Axes in another order.
        if sorted(got_shape) == sorted(want_shape):
            for perm in itertools.permutations(range(len(want_shape))):
                if perm == tuple(range(len(want_shape))):
                    continue
                if tuple(want_shape[p] for p in perm) != got_shape:
                    continue
                if values and _close(got, _transpose(want, perm), rtol, atol):
                    return Finding(f"your result is the expected one with its axes in the order {perm}"
                                   " (transposed): check a .T or the order of a matrix product", True)
            return Finding("the axes look swapped: check a transpose or the order of a matrix"
                           " product", False)
        differ = [a for a in range(len(want_shape)) if got_shape[a] != want_shape[a]]
        if len(differ) == 1:
            a = differ[0]
            n, m = want_shape[a], got_shape[a]
            where = _axis(a, n, axis_names)
            if values and m == n - 1:
                if _close(got, _slice(want, a, None, -1), rtol, atol):
                    return Finding(f"the last step along {where} is missing: you have {m} of {n},"
                                   f" and they match the first {m}. A loop that stops one step early"
                                   f" (range({n} - 1) instead of range({n}))?", True)
                if _close(got, _slice(want, a, 1, None), rtol, atol):
                    return Finding(f"the first entry along {where} is missing: your {m} match the"
                                   f" expected entries 1..{n - 1}", True)
            if values and m == n + 1:
                if _close(_slice(got, a, 1, None), want, rtol, atol):
                    return Finding(f"one entry too many at the start of {where}: without your first"
                                   " entry (the initial state?) the rest is right", True)
                if _close(_slice(got, a, None, -1), want, rtol, atol):
                    return Finding(f"one entry too many at the end of {where}: without your last"
                                   " entry the rest is right", True)
            return Finding(f"{where} has length {m}, expected {n}", False)
        axes = ", ".join(str(a) for a in differ)
        return Finding(f"axes {axes} have lengths {tuple(got_shape[a] for a in differ)}, expected"
                       f" {tuple(want_shape[a] for a in differ)}", False)
    return None


def _length_one_axes(got_shape: tuple, want_shape: tuple) -> Finding | None:
    """Every axis of length 1 gone (a bare .squeeze()), or axes of length 1 added, when that is the
    only difference and more than one axis is involved (one axis is told where it is, below)."""
    if got_shape == tuple(n for n in want_shape if n != 1) and want_shape.count(1) > 1:
        where = [a for a, n in enumerate(want_shape) if n == 1]
        return Finding(f"every axis of length 1 (positions {', '.join(map(str, where))} of the expected"
                       f" shape) is gone: a .squeeze() without an axis, or a reduction that dropped"
                       f" them? Keep shape {want_shape} (squeeze only the axis you mean)", False)
    if want_shape == tuple(n for n in got_shape if n != 1) and got_shape.count(1) > 1 + want_shape.count(1):
        return Finding(f"axes of length 1 were added: keepdims=True, or a reshape that adds them? Expected"
                       f" shape {want_shape}", False)
    return None


def _merge(got_shape: tuple, want_shape: tuple, got, want, values: bool, rtol: float, atol: float,
           axis_names: Mapping[int, str] | None) -> Finding | None:
    """Two neighbouring axes joined into one (15 = 5 x 3), or one split in two: a reshape's doing.
    With values, the replay tells a plain join from one done before the axes were put in order."""
    for small, large, joined in ((got_shape, want_shape, True), (want_shape, got_shape, False)):
        if len(small) + 1 != len(large):
            continue
        for a in range(len(small)):
            if large[:a] + (large[a] * large[a + 1],) + large[a + 2:] != small or 1 in large[a:a + 2]:
                continue
            pair = f"axes {a} and {a + 1} (lengths {large[a]} and {large[a + 1]})"
            if joined:
                head = f"{pair} of the expected shape are merged into one axis of length {small[a]}"
                fix = f"keep them apart: shape {want_shape}"
            else:
                head = (f"{_axis(a, small[a], axis_names)} of the expected shape is split into two, of"
                        f" lengths {large[a]} and {large[a + 1]}")
                fix = f"keep it one axis: shape {want_shape}"
            if values:
                if _close(got, want.reshape(got_shape), rtol, atol):
                    return Finding(f"{head}, and your values are the expected ones reshaped: a reshape"
                                   f" or view to the wrong shape; {fix}", True)
                if joined and _close(got, _swapaxes(want, a, a + 1).reshape(got_shape), rtol, atol):
                    return Finding(f"{head} in the wrong order: your values are the expected ones with"
                                   f" those two axes swapped, then merged. Move the axes into order"
                                   f" (transpose / permute) before the reshape", True)
            return Finding(f"{head} (a reshape or view to the wrong shape?); {fix}", False)
    return None


# --- values (same shape) ------------------------------------------------------------------------

_FACTORS = (
    (-1.0, "every entry has the wrong sign (exactly -1 times the expected): a missing minus, or a"
           " step in the wrong direction", True),
    (2.0, "every entry is twice the expected: a factor 2 too many", True),
    (0.5, "every entry is half the expected: a forgotten factor 2 (the 2 in the derivative of a"
          " square?)", True),
    (-2.0, "every entry is -2 times the expected: a wrong sign and a factor 2 too many", True),
    (-0.5, "every entry is -1/2 times the expected: a wrong sign and a forgotten factor 2", True),
)


def _ratio(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> float | None:
    """The constant c with got == c * want, if there is one."""
    scale = float(_abs(want).max()) if want.size else 0.0
    mask = _abs(want) > max(atol, 1e-3 * scale)
    if not bool(mask.any()):
        return None
    with _errstate(divide="ignore", invalid="ignore"):
        c = float(_median(got[mask] / want[mask]))
    if c == 0.0 or c != c or not _close(got, c * want, rtol, atol):
        return None
    return c


def value_finding(got: np.ndarray, want: np.ndarray, *, rtol: float = 1e-5, atol: float = 1e-8,
                  sizes: Mapping[str, int] | None = None,
                  axis_names: Mapping[int, str] | None = None) -> Finding | None:
    """How two arrays of the same shape differ, or None when nothing simple explains it.

    `sizes` names counts that are not axes of the result (e.g. {"the batch size N": 8}), so that
    a ratio of N can be recognised in a gradient of shape (d, h)."""
    got, want = _asarray(got, dtype=_float64), _asarray(want, dtype=_float64)
    if got.shape != want.shape or not bool(_isfinite(want).all()) or not bool(_isfinite(got).all()):
        return None
    quantity = _quantity_ratio(got, want, sizes or {})
    if quantity is not None:
        return quantity
    if not _evidence(want):
        return None  # too few values to show a pattern: the entries speak for themselves
    if bool((got == 0).all()):
        return Finding("every entry is 0, where the expected ones are not (is anything written into"
                       " the result?)", False)

    c = _ratio(got, want, rtol, atol)
    if c is not None:
        for factor, text, named in _FACTORS:
            if abs(c - factor) <= 1e-3 * abs(factor):
                return Finding(text, named)
        counts = dict(sizes or {})
        for a, n in enumerate(want.shape):
            counts.setdefault(f"the length of {_axis(a, n, axis_names)}", n)
        for label, n in counts.items():
            if n > 2 and abs(c - n) <= 1e-3 * n:
                return Finding(f"every entry is {n} times the expected, {n} being {label}: a sum where"
                               f" a mean was expected (divide by {n})", True)
            if n > 2 and abs(c * n - 1) <= 1e-3:
                return Finding(f"every entry is 1/{n} of the expected, {n} being {label}: a mean where a"
                               f" sum was expected, or a division by {n} too many", True)
        return Finding(f"every entry is {_num(c)} times the expected: a wrong constant factor", False)

    if got.ndim >= 2 and got.shape[-1] == got.shape[-2] and _close(got, _swapaxes(want, -1, -2),
                                                                    rtol, atol):
        return Finding("your result is the expected one transposed (its last two axes swapped):"
                       " check a .T or the order of a matrix product", True)

    for a in range(got.ndim):
        n = got.shape[a]
        if n < 2:
            continue
        where = _axis(a, n, axis_names)
        if _close(_slice(got, a, 1, None), _slice(want, a, None, -1), rtol, atol):
            return Finding(f"your values are shifted by one step along {where}: entry t holds what"
                           " belongs at t - 1 (an output stored before it was updated, or the"
                           " index off by one?)", True)
        if _close(_slice(got, a, None, -1), _slice(want, a, 1, None), rtol, atol):
            return Finding(f"your values are shifted by one step along {where}: entry t holds what"
                           " belongs at t + 1 (an index off by one?)", True)
        if n > 2 and _close(got, _flip(want, a), rtol, atol):
            return Finding(f"your values are in reverse order along {where}", True)

    with _errstate(invalid="ignore", over="ignore"):
        bad = ~_isclose(got, want, rtol=rtol, atol=atol)
    if got.ndim >= 1 and bad.any():
        for a in range(got.ndim):
            n = got.shape[a]
            rows = [i for i in range(n) if bool(_take(bad, i, axis=a).any())]
            if len(rows) != 1 or n < 2:
                continue
            i = rows[0]
            where = _axis(a, n, axis_names)
            if i == n - 1 and bool((_take(got, i, axis=a) == 0).all()):
                return Finding(f"only the last step along {where} is wrong, and it is still 0: it was"
                               f" never computed. A loop that stops one step early (range({n} - 1)"
                               f" instead of range({n}))?", True)
            return Finding(f"only the entries at index {i} of {where} disagree; the others are right",
                           False)

    diff = got - want
    if diff.size > 1 and _close(diff, _full_like(diff, float(_median(diff))), rtol, 10 * atol):
        return Finding(f"every entry is off by the same constant, {_num(_median(diff))}: an added"
                       " constant too many or too few (a bias added twice, or left out?)", False)
    if got.ndim >= 2:
        for a in range(got.ndim):
            # The difference depends only on the index along axis a.
            along = diff.mean(axis=tuple(k for k in range(got.ndim) if k != a), keepdims=True)
            if _close(diff, _broadcast_to(along, diff.shape), rtol, 10 * atol):
                return Finding(f"the error is the same for every entry that shares an index along"
                               f" {_axis(a, got.shape[a], axis_names)}: an offset per index of"
                               " that axis (a bias added along the wrong axis, or missing?)", False)
    return None


def _quantity_ratio(got: np.ndarray, want: np.ndarray, sizes: Mapping[str, int]) -> Finding | None:
    """The learner's values are the expected ones times a ratio of the check's own quantities
    (13 images / 3 batches): a division by the wrong count. Named even for a single number, since
    such a ratio is no accident; never for a plain factor of one quantity (an axis length can be
    2 by chance), which value_finding weighs with its evidence rule."""
    mask = want != 0
    if len(sizes) < 2 or not bool(mask.any()):
        return None
    with _errstate(divide="ignore", invalid="ignore"):
        ratios = got[mask] / want[mask]
    c = float(_median(ratios))
    if not c or c != c or not bool(_isclose(ratios, c, rtol=1e-4).all()):
        return None
    for (a, n), (b, m) in itertools.permutations(sizes.items(), 2):
        if n != m and n > 1 and m > 1 and abs(c - n / m) <= 1e-4 * n / m:
            return Finding(f"your result is {n}/{m} times the expected, {n} being {a} and {m} {b}: a"
                           f" division by {b} where {a} belonged", True)
    return None


def scalar_for_array(value, want_shape: tuple) -> Finding:
    """A single number where an array was expected (no values to replay)."""
    return Finding(f"a single number ({type(value).__name__}) where an array of shape {tuple(want_shape)}"
                   " was expected: it looks reduced to a single value over every axis. Reduce over one axis only (for a"
                   " bias gradient the batch axis: .sum(axis=0)), which keeps one value per entry",
                   False)
