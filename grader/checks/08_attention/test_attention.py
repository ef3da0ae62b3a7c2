"""Hidden checks for exercises/08_attention/attention.py: scaled_dot_product_attention,
causal_mask and MultiHeadSelfAttention.

The oracles are torch.nn.functional.scaled_dot_product_attention (its weights too: they are its
output for v = the identity) and nn.MultiheadAttention(d_model, num_heads, batch_first=True) with
the learner's four projections copied into in_proj and out_proj, both in the judge's process.
nn.MultiheadAttention's bool attn_mask means "may NOT attend",
the opposite of this exercise's, so it gets the inverted mask; its returned weights are averaged
over the heads, so only outputs are compared with it. Inputs are made at import; every expected
value and every replayed mistake is computed only after the learner's call has returned.
The checks of MultiHeadSelfAttention run it on the reference scaled_dot_product_attention
(isolate.swapped); one whole-pipeline check runs the learner's own pieces together.
"""
from __future__ import annotations


import math

import pytest
import torch

# Oracles.
from torch.nn import MultiheadAttention as _RefMultiheadAttention
from torch.nn.functional import scaled_dot_product_attention as _ref_sdpa

from grader.checks.localise import Variation, localised
from grader.checks.helpers import (Feedback, assert_close, assert_unchanged, check_array, learner_call, rand,
                                   randn)
from grader.checks.isolate import on_reference, swapped
from grader.checks.probes import backward_probe, module_backward, module_facts, set_linear
from grader.judge import code
from grader.checks.plain import graph_tensor, plain

_NEG_INF = float("-inf")

RTOL, ATOL = 1e-4, 1e-5        # float32 sums of a few dozen products
RTOL64, ATOL64 = 1e-9, 1e-11   # float64 against float64

# --- the classic mistakes, as the learner reads them ----------------------------------------------

SCALE_D = ("the scores were divided by d instead of sqrt(d): scores = q @ k.transpose(-2, -1) / "
           "math.sqrt(d), with d = q.shape[-1]")
NO_SCALE = ("the scores were not scaled: divide q @ k.transpose(-2, -1) by sqrt(d), with "
            "d = q.shape[-1]")
SCALE_DV = ("the scores were divided by sqrt(dv), the size of the values: d is the size of the "
            "queries and keys, q.shape[-1]")
WRONG_AXIS = ("the softmax was taken over the wrong axis (dim -2, the queries): each query's "
              "weights over the keys, the last axis (dim=-1), must sum to 1")
MASK_AFTER = ("the mask was applied after the softmax: the weights that are left are not "
              "renormalised, so a row no longer sums to 1; set the masked scores to -inf before "
              "the softmax")
MASK_ZERO = ("masked scores were set to 0 instead of -inf: exp(0) = 1, so a masked key still gets "
             "a weight; fill them with float('-inf') before the softmax")
MASK_INVERTED = ("the mask was inverted: True means the query MAY attend to that key, so fill the "
                 "scores where the mask is False (masked_fill(~mask, float('-inf')))")
MASK_IGNORED = "the mask was ignored: the scores where it is False must be set to -inf"
SDPA_HINT = ("weights = softmax(q @ k.transpose(-2, -1) / sqrt(d), dim=-1) with masked scores set "
             "to -inf first; out = weights @ v")

CAUSAL_TRIU = ("the mask is upper-triangular (torch.triu): position i would see the future "
               "positions j > i and not its own past; causal means True where j <= i (torch.tril)")
CAUSAL_SHIFTED = ("the diagonal is shifted up (tril with diagonal=1): position i would see position "
                  "i + 1, one step into the future")
CAUSAL_NO_DIAGONAL = ("the diagonal is missing (True only for j < i): a position may attend to "
                      "itself, so the diagonal is True (torch.tril with the default diagonal=0)")
CAUSAL_ALL = "every entry is True: each position would see the future too"

HEADS_VIEW = ("the heads were split by a plain view to (N, num_heads, T, head_dim), which cuts the "
              "sequence instead of the features: view as (N, T, num_heads, head_dim), then move the "
              "head axis before the time axis with .transpose(1, 2) (and back before merging)")
HEADS_NOT_MOVED = ("the heads were split as (N, T, num_heads, head_dim) but the head axis was not "
                   "moved before the time axis, so the attention ran over the heads instead of the "
                   "time steps: .transpose(1, 2) to (N, num_heads, T, head_dim)")
HEADS_MERGED = ("the heads were merged with a plain reshape of (N, num_heads, T, head_dim): move "
                "the head axis back behind the time axis first, .transpose(1, 2).reshape(N, T, "
                "d_model)")
SCALE_D_MODEL = ("each head's scores were divided by sqrt(d_model) instead of sqrt(head_dim): a "
                 "head's queries and keys have d_model // num_heads features")
NO_OUT_PROJ = "out_proj was not applied to the merged heads"
MHSA_HINT = ("q, k, v = q_proj(x), k_proj(x), v_proj(x); each .view(N, T, num_heads, head_dim)"
             ".transpose(1, 2); attention per head; .transpose(1, 2).reshape(N, T, d_model); "
             "out_proj")
PROJECTIONS = ("q_proj", "k_proj", "v_proj", "out_proj")


def _shape(t) -> str:
    return str(tuple(t.shape))


# --- oracles and replays (called only after the learner's call has returned) ----------------------

def _oracle_sdpa(q, k, v, mask):
    """(out, weights) by torch.nn.functional.scaled_dot_product_attention."""
    with torch.no_grad():
        out = _ref_sdpa(q, k, v, attn_mask=mask)
        lk = k.shape[-2]
        identity = torch.broadcast_to(torch.eye(lk, dtype=q.dtype), tuple(k.shape[:-2]) + (lk, lk))
        weights = _ref_sdpa(q, k, identity, attn_mask=mask)
    return out, weights


def _replay(q, k, v, mask, *, scale, axis=-1, fill=_NEG_INF, after=False, inverted=False):
    """One (possibly wrong) attention, written out: (out, weights)."""
    with torch.no_grad():
        scores = torch.matmul(q, k.transpose(-2, -1)) * scale
        if mask is not None and not after:
            blocked = mask if inverted else torch.logical_not(mask)
            scores = scores.masked_fill(blocked, fill)
        weights = torch.softmax(scores, dim=axis)
        if mask is not None and after:
            weights = torch.mul(weights, mask.to(weights.dtype))
        return torch.matmul(weights, v), weights


def _sdpa_mistakes(q, k, v, mask):
    """(mistake, wrong out, wrong weights) for the classic mistakes, on these inputs."""
    d, dv = q.shape[-1], v.shape[-1]
    right = 1 / math.sqrt(d)
    found = [(SCALE_D, *_replay(q, k, v, mask, scale=1 / d)),
             (NO_SCALE, *_replay(q, k, v, mask, scale=1.0)),
             (WRONG_AXIS, *_replay(q, k, v, mask, scale=right, axis=-2))]
    if dv != d:
        found.append((SCALE_DV, *_replay(q, k, v, mask, scale=1 / math.sqrt(dv))))
    if mask is not None:
        found += [(MASK_AFTER, *_replay(q, k, v, mask, scale=right, after=True)),
                  (MASK_ZERO, *_replay(q, k, v, mask, scale=right, fill=0.0)),
                  (MASK_INVERTED, *_replay(q, k, v, mask, scale=right, inverted=True)),
                  (MASK_IGNORED, *_replay(q, k, v, None, scale=right))]
    return found


def reference_sdpa(q, k, v, mask=None):
    """The reference scaled_dot_product_attention, defined in the learner's process and swapped
    in for the learner's in the MultiHeadSelfAttention checks (it keeps the graph, so gradients
    flow through it). Written out: the library's own is refused there."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


REFERENCE_SDPA = code(reference_sdpa)


# --- scaled_dot_product_attention ----------------------------------------------------------------

def _keep_one_per_row(mask):
    """Every query may attend to at least one key (a fully masked row is outside the contract)."""
    lq, lk = mask.shape[-2], mask.shape[-1]
    column = torch.arange(lq)[:, None] % lk == torch.arange(lk)[None, :]
    return mask | column


class SdpaCase:
    """One call: seeded inputs (made at import) and its name; expected values come later."""

    def __init__(self, lead, lq, lk, d, dv, seed, *, mask=None, dtype=torch.float32, label=""):
        self.q = randn(*lead, lq, d, seed=seed, dtype=dtype) * 1.5
        self.k = randn(*lead, lk, d, seed=seed + 1, dtype=dtype) * 1.5
        self.v = randn(*lead, lk, dv, seed=seed + 2, dtype=dtype)
        self.mask = mask
        self.dtype = dtype
        self.lead = tuple(lead)
        self.out_shape = self.lead + (lq, dv)
        self.weights_shape = self.lead + (lq, lk)
        masked = f", mask {_shape(mask)}{label}" if mask is not None else ""
        self.call = f"scaled_dot_product_attention(q, k, v{', mask' if mask is not None else ''})"
        self.where = (f" with q {_shape(self.q)}, k {_shape(self.k)}, v {_shape(self.v)}{masked}, "
                      f"{str(dtype).replace('torch.', '')}")

    @property
    def name(self) -> str:
        return self.call + self.where

    def inputs(self):
        return self.q.clone(), self.k.clone(), self.v.clone()


def _random_mask(shape, seed):
    return _keep_one_per_row(rand(*shape, seed=seed) < 0.55)


def _run_sdpa(sub, case: SdpaCase, *, q=None, k=None, v=None):
    """Call the learner's function; check type, shape, dtype; return (out, weights) as returned."""
    given = (q, k, v) if q is not None else case.inputs()
    mask = None if case.mask is None else case.mask.clone()
    if mask is None:
        result = learner_call(lambda: sub.scaled_dot_product_attention(*given), case.name, SDPA_HINT)
    else:
        result = learner_call(lambda: sub.scaled_dot_product_attention(*given, mask), case.name, SDPA_HINT)
    out, weights = _check_sdpa_result(case, result)
    mistake = "an in-place operation on the caller's tensor (such as q /= ... or masked_fill_)"
    for before, after, name in zip((case.q, case.k, case.v), given, ("q", "k", "v")):
        assert_unchanged(before, after, f"the argument {name}", mistake=mistake)
    if case.mask is not None:
        assert_unchanged(case.mask, mask, "the argument mask", mistake=mistake)
    return out, weights


def _check_sdpa_result(case: SdpaCase, result):
    """(out, weights) from what the learner's function returned: type, shape, dtype checked."""
    if type(result) not in (tuple, list) or len(result) != 2:
        shown = plain(result, case.name, "a tuple (out, weights)")
        kind = f"a {type(shown).__name__} of length {len(shown)}" if type(shown) in (tuple, list) \
            else f"{type(shown).__name__}"
        raise Feedback(f"{case.name} returned {kind}; expected a tuple (out, weights): "
                       "return weights @ v, weights.")
    out, weights = graph_tensor(result[0], case.name), graph_tensor(result[1], case.name)
    check_array(out, f"the output of {case.name}", kind="tensor", shape=case.out_shape,
                dtype=case.dtype)
    check_array(weights, f"the weights of {case.name}", kind="tensor", shape=case.weights_shape,
                dtype=case.dtype)
    return out, weights


def _check_sdpa_values(case: SdpaCase, out, weights):
    want_out, want_weights = _oracle_sdpa(case.q, case.k, case.v, case.mask)  # only now
    wrong = _sdpa_mistakes(case.q, case.k, case.v, case.mask)
    rtol, atol = (RTOL64, ATOL64) if case.dtype == torch.float64 else (RTOL, ATOL)
    assert_close(weights, want_weights, f"the weights of {case.name}", rtol=rtol, atol=atol,
                 diagnose=[(m, w) for m, _, w in wrong], hint=SDPA_HINT)
    if case.mask is not None:
        blocked = torch.logical_not(torch.broadcast_to(case.mask, case.weights_shape))
        got = plain(weights, "weights")
        leaked = got[blocked]
        if bool((leaked != 0).any()):
            biggest = float(leaked.abs().max())
            raise Feedback(f"the weights of {case.name}: {int((leaked != 0).sum())} of "
                           f"{int(blocked.sum())} masked positions have a weight that is not "
                           f"exactly 0 (the largest is {biggest:.3g}). Likely mistake: the masked "
                           "scores were filled with a finite number that is not low enough; use "
                           "float('-inf') (or torch.finfo(scores.dtype).min) before the softmax.")
    assert_close(out, want_out, f"the output of {case.name}", rtol=rtol, atol=atol,
                 diagnose=[(m, o) for m, o, _ in wrong], hint=SDPA_HINT)


@pytest.mark.points(1)
def test_sdpa_worked_example(sub):
    """The worked example from the docstring (d = 4), without and with the mask."""
    q = torch.tensor([[2.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0]])
    k = torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]])
    v = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    mask = torch.tensor([[True, True, False], [True, True, True]])
    for with_mask in (False, True):
        case = SdpaCase((), 2, 3, 4, 2, 0, mask=mask if with_mask else None)
        case.q, case.k, case.v = q, k, v
        case.where = " on the worked example" + (" with mask [[True, True, False], [True, True, True]]"
                                                 if with_mask else "")
        out, weights = _run_sdpa(sub, case)
        _check_sdpa_values(case, out, weights)


SDPA_SHAPES = {  # leading dims -> [(Lq, Lk, d, dv)]: Lq != Lk, dv != d, a single query, batch 1
    "no-leading-dims": ((), [(4, 6, 8, 3), (1, 3, 5, 2)]),
    "one-leading-dim": ((1,), [(5, 3, 4, 6), (3, 3, 2, 2)]),
    "two-leading-dims": ((2, 3), [(4, 7, 16, 5), (3, 2, 3, 4)]),
}
SDPA_CASES = {
    key: [SdpaCase(lead, lq, lk, d, dv, seed=100 * i + 10 * j + t, dtype=dtype)
          for j, (lq, lk, d, dv) in enumerate(shapes) for t, dtype in enumerate((torch.float32, torch.float64))]
    for i, (key, (lead, shapes)) in enumerate(SDPA_SHAPES.items())
}


# Where a failing case turns wrong: from one square float32 attention, one parameter at a time.
SDPA_VARIATION = Variation(
    simplest=dict(leading_dims=(), queries=3, keys=3, d=4, dv=4, dtype="float32", mask=None),
    steps=dict(leading_dims=((2,), (2, 3)), keys=(5,), dv=(2,), dtype=("float64",), mask=("causal",)),
    advice=dict(leading_dims="leading (batch, head) axes: transpose only the last two axes of k"
                             " (k.transpose(-2, -1)) and take the softmax over the last axis",
                keys="as many keys as queries only? the scores are (Lq, Lk): q @ k.transpose(-2, -1)",
                dv="v's feature size can differ from q's: the output is weights @ v, of size dv",
                dtype="keep the inputs' dtype: no .float() and new tensors with dtype=q.dtype",
                mask="masked scores are set to -inf before the softmax (masked_fill(~mask, -inf))"))


def _sdpa_agrees(sub):
    def right(params) -> bool:
        dtype = torch.float64 if params["dtype"] == "float64" else torch.float32
        lq, lk = params["queries"], params["keys"]
        mask = torch.tril(torch.ones(lq, lk, dtype=torch.bool)) if params["mask"] == "causal" else None
        case = SdpaCase(params["leading_dims"], lq, lk, params["d"], params["dv"], 4247, mask=mask, dtype=dtype)
        try:
            _check_sdpa_values(case, *_run_sdpa(sub, case))
        except Feedback:
            return False
        return True
    return right


@pytest.mark.points(1)
@pytest.mark.parametrize("lead", list(SDPA_SHAPES))
def test_sdpa_matches_reference(sub, lead):
    """out and weights equal F.scaled_dot_product_attention's (float32 and float64 kept)."""
    for case in SDPA_CASES[lead]:
        out, weights = _run_sdpa(sub, case)
        with localised(SDPA_VARIATION, _sdpa_agrees(sub)):
            _check_sdpa_values(case, out, weights)


def _mask_cases():
    cases = {}
    cases["broadcast-Lq-Lk"] = [
        SdpaCase((2, 3), 5, 6, 4, 3, 400, mask=_random_mask((5, 6), 401),
                 label=" (the same for every batch)"),
        SdpaCase((), 4, 3, 6, 2, 410, mask=_random_mask((4, 3), 411)),
    ]
    cases["full-shape"] = [
        SdpaCase((2, 3), 4, 5, 8, 3, 420, mask=_random_mask((2, 3, 4, 5), 421)),
        SdpaCase((1,), 3, 6, 5, 4, 430, mask=_random_mask((1, 3, 6), 431), dtype=torch.float64),
    ]
    padding = rand(2, 1, 1, 7, seed=441) < 0.6
    padding[..., 0] = True
    cases["causal-and-padding"] = [
        SdpaCase((2,), 6, 6, 4, 5, 450, mask=torch.tril(torch.ones(6, 6, dtype=torch.bool)), label=" (causal)"),
        SdpaCase((2, 3), 3, 7, 4, 2, 440, mask=padding, label=" (keys padded per batch)"),
    ]
    return cases


MASK_CASES = _mask_cases()


@pytest.mark.points(2)
@pytest.mark.parametrize("kind", list(MASK_CASES))
def test_sdpa_mask(sub, kind):
    """With a bool mask (broadcast by the usual rules), masked positions get weight exactly 0."""
    for case in MASK_CASES[kind]:
        out, weights = _run_sdpa(sub, case)
        _check_sdpa_values(case, out, weights)


@pytest.mark.points(2)
def test_sdpa_gradients(sub):
    """Gradients through out reach q, k and v, equal to autograd through the reference."""
    case = SdpaCase((2,), 4, 5, 3, 2, 500, mask=_random_mask((4, 5), 501), dtype=torch.float64)
    upstream = randn(2, 4, 2, seed=502, dtype=torch.float64)
    result, records, grads = sub.run(backward_probe, "scaled_dot_product_attention",
                                     [*case.inputs(), case.mask.clone()], {}, [0, 1, 2], upstream, pick=0)
    out, _ = _check_sdpa_result(case, result)
    if not records:
        raise Feedback(f"The output of {case.name} is not connected to q, k and v: no gradient can flow "
                       "back. Keep to tensor operations on the inputs: no .detach(), .item(), "
                       "torch.no_grad() or NumPy.")
    grads = grads or [None, None, None]
    with torch.enable_grad():  # the reference, only now
        ref_leaves = [torch.Tensor.requires_grad_(torch.Tensor.clone(t.detach())) for t in (case.q, case.k, case.v)]
        ref_out = _ref_sdpa(*ref_leaves, attn_mask=case.mask)
        ref_grads = torch.autograd.grad(torch.sum(torch.mul(ref_out, upstream)), ref_leaves)
    for name, grad, want in zip(("q", "k", "v"), grads, ref_grads):
        if grad is None:
            raise Feedback(f"The output of {case.name} does not depend on {name}: no gradient "
                           "reaches it.")
        assert_close(grad, want, f"the gradient of sum(out * upstream) with respect to {name}",
                     rtol=1e-7, atol=1e-9,
                     hint="the values are right but the gradient is not: is part of the "
                          "computation detached, done through .data, or replaced by a constant?")


# --- causal_mask ---------------------------------------------------------------------------------

@pytest.mark.points(2)
def test_causal_mask(sub):
    """causal_mask(length) is bool (length, length), True on and below the diagonal (1, 2, 5, 8)."""
    for length in (5, 2, 8, 1):
        name = f"causal_mask({length})"
        got = learner_call(lambda: sub.causal_mask(length), name, "return torch.tril(torch.ones(length, "
                    "length, dtype=torch.bool))")
        check_array(got, name, kind="tensor", shape=(length, length), dtype=torch.bool)
        ones = torch.ones(length, length, dtype=torch.bool)
        wrong = [(CAUSAL_TRIU, torch.triu(ones)), (CAUSAL_SHIFTED, torch.tril(ones, 1)),
                 (CAUSAL_NO_DIAGONAL, torch.tril(ones, -1)), (CAUSAL_ALL, ones)]
        if length == 1:
            wrong = [(CAUSAL_NO_DIAGONAL, torch.tril(ones, -1))]
        assert_close(got, torch.tril(ones), name, rtol=0, atol=0, diagnose=wrong,
                     hint="True where column j <= row i: torch.tril of a bool matrix of ones")


# --- MultiHeadSelfAttention ----------------------------------------------------------------------

def _make_mhsa(sub, d_model: int, num_heads: int):
    """(the learner's module, a handle; the four projections' values), or feedback."""
    name = f"MultiHeadSelfAttention({d_model}, {num_heads})"
    model = learner_call(lambda: sub.MultiHeadSelfAttention(d_model, num_heads), name,
                         "__init__ creates four nn.Linear(d_model, d_model) layers")
    facts = sub.run(module_facts, model, list(PROJECTIONS))
    if not facts["is_module"]:
        raise Feedback(f"{name} is not an nn.Module: subclass nn.Module and call "
                       "super().__init__() first.")
    return model, facts


def _projections(facts, d_model: int, num_heads: int):
    """Checks the four nn.Linear(d_model, d_model) submodules, or says what is wrong."""
    name = f"MultiHeadSelfAttention({d_model}, {num_heads})"
    children = facts["children"]
    for attr in PROJECTIONS:
        child = children.get(attr)
        if child is None:
            raise Feedback(f"{name} has no submodule named {attr} (found {sorted(children) or 'none'}). "
                           f"Create self.{attr} = nn.Linear(d_model, d_model) in __init__, under "
                           "exactly that name (q_proj, k_proj, v_proj, out_proj).")
        kind, is_linear, has_bias = child
        if not is_linear:
            raise Feedback(f"{name}.{attr} is a {kind}; expected an nn.Linear(d_model, d_model).")
        if not has_bias:
            raise Feedback(f"{name}.{attr} has no bias: use nn.Linear(d_model, d_model), whose "
                           "bias=True by default.")
        weight, bias = facts["linear"][attr]
        check_array(weight, f"{name}.{attr}.weight", kind="tensor", shape=(d_model, d_model),
                    dtype="floating")
        check_array(bias, f"{name}.{attr}.bias", kind="tensor", shape=(d_model,), dtype="floating")


def _set_projections(sub, model, d_model: int, seed: int):
    """Give the learner's projections known values; returns them for the oracle."""
    k = 1.0 / math.sqrt(d_model)
    values = []
    for i in range(len(PROJECTIONS)):
        weight = (rand(d_model, d_model, seed=seed + 2 * i) * 2 - 1) * k
        bias = (rand(d_model, seed=seed + 2 * i + 1) * 2 - 1) * k
        values.append((weight, bias))
    sub.run(set_linear, model, {attr: list(v) for attr, v in zip(PROJECTIONS, values)})
    return values


def _oracle_mha(values, d_model: int, num_heads: int, x, mask):
    """nn.MultiheadAttention with the four projections copied in: (the module, its output)."""
    (wq, bq), (wk, bk), (wv, bv), (wo, bo) = values
    reference = _RefMultiheadAttention(d_model, num_heads, batch_first=True, bias=True)
    with torch.no_grad():
        reference.in_proj_weight.copy_(torch.cat([wq, wk, wv]))
        reference.in_proj_bias.copy_(torch.cat([bq, bk, bv]))
        reference.out_proj.weight.copy_(wo)
        reference.out_proj.bias.copy_(bo)
    attn_mask = None
    if mask is not None:  # its convention: True = may NOT attend, one (T, T) per batch and head
        n, length = x.shape[0], x.shape[1]
        full = torch.broadcast_to(mask, (n, num_heads, length, length))
        attn_mask = torch.logical_not(full.reshape((n * num_heads, length, length)))
    out, _ = reference(x, x, x, attn_mask=attn_mask, need_weights=False)
    return reference, out


def _mhsa_replay(values, num_heads: int, x, mask, *, split="right", merge="right", scale=None,
                 out_proj=True, inverted=False, use_mask=True):
    """MultiHeadSelfAttention written out, with one of the classic mistakes."""
    (wq, bq), (wk, bk), (wv, bv), (wo, bo) = values
    n, length, d_model = x.shape
    head_dim = d_model // num_heads
    with torch.no_grad():
        def heads(w, b):
            t = torch.matmul(x, w.transpose(0, 1)) + b
            if split == "view":
                return t.reshape((n, num_heads, length, head_dim))
            if split == "not-moved":
                return t.reshape((n, length, num_heads, head_dim))
            return torch.Tensor.transpose(t.reshape((n, length, num_heads, head_dim)), 1, 2)

        q, k, v = heads(wq, bq), heads(wk, bk), heads(wv, bv)
        m = mask if use_mask else None
        out, _ = _replay(q, k, v, m, scale=scale or 1 / math.sqrt(head_dim), inverted=inverted)
        if split in ("view", "not-moved") or merge == "plain":
            merged = out.reshape((n, length, d_model))
        else:
            merged = torch.Tensor.reshape(out.transpose(1, 2), (n, length, d_model))
        return torch.matmul(merged, wo.transpose(0, 1)) + bo if out_proj else merged


def _mhsa_mistakes(values, num_heads: int, x, mask):
    d_model = x.shape[-1]
    found = [(NO_OUT_PROJ, _mhsa_replay(values, num_heads, x, mask, out_proj=False))]
    if num_heads > 1:
        found += [(HEADS_VIEW, _mhsa_replay(values, num_heads, x, mask, split="view")),
                  (HEADS_MERGED, _mhsa_replay(values, num_heads, x, mask, merge="plain")),
                  (SCALE_D_MODEL, _mhsa_replay(values, num_heads, x, mask, scale=1 / math.sqrt(d_model)))]
        try:
            found.append((HEADS_NOT_MOVED, _mhsa_replay(values, num_heads, x, mask, split="not-moved")))
        except RuntimeError:  # the mask does not broadcast over (num_heads, num_heads)
            pass
    if mask is not None:
        found += [(MASK_INVERTED + " (nn.MultiheadAttention's attn_mask is the other way round; "
                   "this exercise's is not)", _mhsa_replay(values, num_heads, x, mask, inverted=True)),
                  (MASK_IGNORED, _mhsa_replay(values, num_heads, x, mask, use_mask=False))]
    return found


def _masks(kind, n, length, num_heads, seed):
    if kind is None:
        return None, ""
    if kind == "causal":
        return torch.tril(torch.ones(length, length, dtype=torch.bool)), f", mask=causal ({length}, {length})"
    full = rand(n, num_heads, length, length, seed=seed) < 0.5
    return _keep_one_per_row(full), f", mask {(n, num_heads, length, length)}"


MHSA_CONFIGS = [  # (N, T, d_model, num_heads, mask)
    (1, 4, 8, 1, None),
    (2, 5, 12, 3, None),
    (3, 6, 16, 4, "causal"),
    (2, 6, 8, 2, "full"),
]
MHSA_INPUTS = {config: (randn(*config[:3], seed=600 + i),
                        _masks(config[4], config[0], config[1], config[3], seed=650 + i))
               for i, config in enumerate(MHSA_CONFIGS)}


def _mhsa_id(config):
    n, t, d, h, mask = config
    return f"N{n}-T{t}-d{d}-h{h}-{mask or 'nomask'}"


def _forward(model, x, mask, name):
    if mask is None:
        return learner_call(lambda: model(x), name, MHSA_HINT)
    return learner_call(lambda: model(x, mask), name, MHSA_HINT)


@pytest.mark.points(1)
def test_mhsa_projections(sub):
    """Four nn.Linear(d_model, d_model) named q_proj, k_proj, v_proj, out_proj, registered."""
    for d_model, num_heads in ((8, 2), (6, 1), (12, 4)):
        model, facts = _make_mhsa(sub, d_model, num_heads)
        _projections(facts, d_model, num_heads)
        names = set(facts["parameters"])
        missing = [f"{p}.{w}" for p in PROJECTIONS for w in ("weight", "bias") if f"{p}.{w}" not in names]
        if missing:
            raise Feedback(f"MultiHeadSelfAttention({d_model}, {num_heads}).named_parameters() lacks "
                           f"{missing}: assign the nn.Linear layers as attributes of self.")


@pytest.mark.points(1)
def test_mhsa_rejects_indivisible_d_model(sub):
    """MultiHeadSelfAttention(d_model, num_heads) raises ValueError unless num_heads divides d_model."""
    for d_model, num_heads in ((10, 3), (6, 4), (7, 2)):
        name = f"MultiHeadSelfAttention({d_model}, {num_heads})"
        try:
            sub.MultiHeadSelfAttention(d_model, num_heads)
        except ValueError:
            continue
        except NotImplementedError:
            raise
        except Exception as exc:  # noqa: BLE001 - the wrong exception is feedback too
            raise Feedback(f"{name} raised {type(exc).__name__}: {exc}; expected ValueError "
                           f"({d_model} is not divisible by {num_heads}).") from None
        raise Feedback(f"{name} did not raise ValueError: {d_model} features cannot be cut into "
                       f"{num_heads} heads of equal size. Check d_model % num_heads in __init__.")


MHSA_VARIATION = Variation(
    simplest=dict(batch=1, length=4, d_model=8, num_heads=1, mask=None),
    steps=dict(batch=(2,), length=(6,), num_heads=(2, 4), mask=("causal",)),
    advice=dict(batch="look at how the batch axis is handled (code that assumes one sequence?)",
                length="the sequence length T is x.shape[1]: check where you use it",
                num_heads="split d_model into heads as (N, T, heads, d_head), move the head axis before"
                          " T (transpose(1, 2)), and move it back before merging the heads",
                mask="pass the mask on to the attention, broadcast over the heads"))


def _mhsa_agrees(sub):
    def right(params) -> bool:
        n, length, d_model, heads = params["batch"], params["length"], params["d_model"], params["num_heads"]
        x = randn(n, length, d_model, seed=4248)
        mask, _ = _masks(params["mask"], n, length, heads, seed=4249)
        try:
            model, facts = _make_mhsa(sub, d_model, heads)
            values = _set_projections(sub, model, d_model, seed=4250)
            with swapped(sub, scaled_dot_product_attention=REFERENCE_SDPA):
                got = _forward(model, x.clone(), None if mask is None else mask.clone(), "search")
        except Feedback:
            return False
        _, want = _oracle_mha(values, d_model, heads, x, mask)
        return (isinstance(got, torch.Tensor) and tuple(got.shape) == tuple(want.shape)
                and bool(torch.allclose(got.double(), want.detach().double(), rtol=RTOL, atol=ATOL)))
    return right


@pytest.mark.points(2)
@pytest.mark.parametrize("config", MHSA_CONFIGS, ids=_mhsa_id)
def test_mhsa_matches_nn_multihead_attention(sub, config):
    """The output equals nn.MultiheadAttention's with the same four projections."""
    n, length, d_model, num_heads, _ = config
    x, (mask, mask_text) = MHSA_INPUTS[config]
    model, facts = _make_mhsa(sub, d_model, num_heads)
    _projections(facts, d_model, num_heads)
    values = _set_projections(sub, model, d_model, seed=700 + d_model + num_heads)
    name = on_reference(f"MultiHeadSelfAttention({d_model}, {num_heads})(x{mask_text}) with x "
                        f"{_shape(x)}", "scaled_dot_product_attention")
    with swapped(sub, scaled_dot_product_attention=REFERENCE_SDPA):
        got = _forward(model, x.clone(), None if mask is None else mask.clone(), name)
    case = dict(batch=n, length=length, d_model=d_model, num_heads=num_heads, mask=config[4])
    with localised(MHSA_VARIATION, _mhsa_agrees(sub), case=case):
        check_array(got, name, kind="tensor", shape=(n, length, d_model), dtype=x.dtype)
        _, want = _oracle_mha(values, d_model, num_heads, x, mask)  # only now
        assert_close(got, want.detach(), name, rtol=RTOL, atol=ATOL,
                     diagnose=_mhsa_mistakes(values, num_heads, x, mask), hint=MHSA_HINT)


@pytest.mark.points(1)
def test_mhsa_gradients(sub):
    """Backward through the module gives its parameters and x the reference's gradients."""
    n, length, d_model, num_heads = 2, 5, 8, 2
    model, facts = _make_mhsa(sub, d_model, num_heads)
    _projections(facts, d_model, num_heads)
    values = _set_projections(sub, model, d_model, seed=800)
    x = randn(n, length, d_model, seed=801)
    upstream = randn(n, length, d_model, seed=802)
    mask = torch.tril(torch.ones(length, length, dtype=torch.bool))
    name = on_reference(f"MultiHeadSelfAttention({d_model}, {num_heads})(x, mask=causal) with x "
                        f"{_shape(x)}", "scaled_dot_product_attention")
    with swapped(sub, scaled_dot_product_attention=REFERENCE_SDPA):
        out, records, grads, leaf_grads = learner_call(
            lambda: sub.run(module_backward, model, [x, mask.clone()], [0], upstream, list(PROJECTIONS)),
            name, MHSA_HINT)
    out = graph_tensor(out, name)
    check_array(out, name, kind="tensor", shape=(n, length, d_model), dtype=x.dtype)
    if not records:
        raise Feedback(f"{name} is not connected to the parameters: no gradient can flow back. Do "
                       "not use torch.no_grad(), .detach() or .data in forward.")
    with torch.enable_grad():  # the reference, only now
        x_ref = torch.Tensor.requires_grad_(torch.Tensor.clone(x.detach()))
        reference, ref_out = _oracle_mha(values, d_model, num_heads, x_ref, mask)
        torch.sum(torch.mul(ref_out, upstream)).backward()
    w_in, b_in = reference.in_proj_weight.grad, reference.in_proj_bias.grad
    want = {"q_proj": (w_in[:d_model], b_in[:d_model]),
            "k_proj": (w_in[d_model:2 * d_model], b_in[d_model:2 * d_model]),
            "v_proj": (w_in[2 * d_model:], b_in[2 * d_model:]),
            "out_proj": (reference.out_proj.weight.grad, reference.out_proj.bias.grad)}
    for attr in PROJECTIONS:
        for part, grad, ref in zip(("weight", "bias"), grads[attr], want[attr]):
            if grad is None:
                raise Feedback(f"After backward(), {attr}.{part} has no gradient: it is not "
                               "connected to the output.")
            assert_close(grad, ref, f"the gradient of {attr}.{part}", rtol=1e-4, atol=1e-5,
                         hint=MHSA_HINT)
    x_grad = leaf_grads[0]
    if x_grad is None:
        raise Feedback("After backward(), the input x has no gradient: it is not connected to the output.")
    assert_close(x_grad, x_ref.grad, "the gradient of the input x", rtol=1e-4, atol=1e-5, hint=MHSA_HINT)


@pytest.mark.points(1)
def test_mhsa_whole_pipeline(sub):
    """Your MultiHeadSelfAttention with your scaled_dot_product_attention and causal_mask(T)."""
    n, length, d_model, num_heads = 2, 6, 12, 3
    model, facts = _make_mhsa(sub, d_model, num_heads)
    _projections(facts, d_model, num_heads)
    values = _set_projections(sub, model, d_model, seed=900)
    x = randn(n, length, d_model, seed=901)
    mask = learner_call(lambda: sub.causal_mask(length), f"causal_mask({length})", "a bool (T, T) tensor")
    name = (f"MultiHeadSelfAttention({d_model}, {num_heads})(x, causal_mask({length})) with x "
            f"{_shape(x)}, all of it yours")
    got = _forward(model, x.clone(), mask, name)
    check_array(got, name, kind="tensor", shape=(n, length, d_model), dtype=x.dtype)
    causal = torch.tril(torch.ones(length, length, dtype=torch.bool))
    _, want = _oracle_mha(values, d_model, num_heads, x, causal)  # only now
    assert_close(got, want.detach(), name, rtol=RTOL, atol=ATOL,
                 diagnose=_mhsa_mistakes(values, num_heads, x, causal),
                 hint="the checks of scaled_dot_product_attention, causal_mask and "
                      "MultiHeadSelfAttention (run on the reference attention) tell which part "
                      "is wrong")
