"""Hidden checks for exercises/05_modules/rnn.py: tokenize, build_vocab, numericalize, RNNCell, run_rnn."""
from __future__ import annotations

import pytest
import torch

from grader.checks.helpers import Feedback, assert_close, assert_unchanged, check_array, randn, rng
from grader.checks.plain import plain
from grader.checks.probes import layer_facts, load_state, parameter_backward

# Oracles.
from collections import Counter as _Counter
from torch.nn import RNN as _RNN
from torch.nn import RNNCell as _RNNCell

_sorted = sorted

# --- tokenize ------------------------------------------------------------------------------------

# (text, the expected tokens, the same split keeping the case, the same split keeping punctuation)
TOKENIZE_CASES = [
    ("The course, well organized!", ["the", "course", "well", "organized"],
     ["The", "course", "well", "organized"], ["the", "course,", "well", "organized!"]),
    ("Hello   World", ["hello", "world"], ["Hello", "World"], ["hello", "world"]),
    ("Wait... what?! (Really) \"yes\"", ["wait", "what", "really", "yes"],
     ["Wait", "what", "Really", "yes"], ["wait...", "what?!", "(really)", "\"yes\""]),
    ("one\ttwo\nTHREE;  four.", ["one", "two", "three", "four"],
     ["one", "two", "THREE", "four"], ["one", "two", "three;", "four."]),
    ("GPU", ["gpu"], ["GPU"], ["gpu"]),
    ("", [], [], []),
    ("  !!! ,,, ... ", [], [], ["!!!", ",,,", "..."]),
]


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


@pytest.mark.points(3)
@pytest.mark.parametrize("text, want, cased, punctuated", TOKENIZE_CASES,
                         ids=[f"case{i}" for i in range(len(TOKENIZE_CASES))])
def test_tokenize(sub, text, want, cased, punctuated):
    """tokenize gives lower-case words without punctuation ("The course, well organized!")."""
    name = f"tokenize({text!r})"
    got = plain(sub.tokenize(text), name, "a list of str")  # exact built-in types: no faked __eq__
    if not isinstance(got, list) or not all(isinstance(t, str) for t in got):
        raise Feedback(f"{name} should return a list of str, got {_show(got)}.")
    if got == want:
        return
    message = f"{name} returned {_show(got)}, expected {_show(want)}."
    if got == punctuated or got == text.split():
        message += (" Likely mistake: the tokenizer keeps punctuation; split into words "
                    "(e.g. re.findall(r\"[^\\W_]+(?:'[^\\W_]+)*\", text.lower())) rather than on "
                    "whitespace.")
    elif got == cased:
        message += " Likely mistake: the tokenizer keeps the case; lower-case the text first."
    elif "" in got:
        message += " It contains empty strings: drop them (str.split() without an argument does)."
    raise Feedback(message)


# --- build_vocab ---------------------------------------------------------------------------------

def _oracle_vocab(texts, min_freq=1, *, ties="alpha", cut=">="):
    counts = _Counter(t for tokens in texts for t in tokens)
    if ties == "alpha":
        items = _sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    else:  # first occurrence (what Counter.most_common gives)
        items = counts.most_common()
    vocab = {"<pad>": 0, "<unk>": 1}
    for word, count in items:
        if (count >= min_freq if cut == ">=" else count > min_freq) and word not in vocab:
            vocab[word] = len(vocab)
    return vocab


def _vocab_diagnosis(got, texts, min_freq):
    wrong = [
        (_oracle_vocab(texts, min_freq, ties="first"),
         "vocab ties are not broken alphabetically (words with the same count must be in A-Z order; "
         "sort by (-count, word))"),
        (_oracle_vocab(texts, min_freq, cut=">"),
         "min_freq is off by one: keep words seen at least min_freq times (count >= min_freq)"),
        (_oracle_vocab(texts, min_freq + 1),
         "min_freq is off by one: keep words seen at least min_freq times (count >= min_freq)"),
        (_oracle_vocab(texts, max(min_freq - 1, 0)),
         "min_freq is off by one: keep words seen at least min_freq times (count >= min_freq)"),
        (_oracle_vocab(texts, min_freq, ties="first", cut=">"),
         "vocab ties are not broken alphabetically and min_freq is off by one"),
    ]
    for candidate, mistake in wrong:
        if got == candidate:
            return mistake
    want = _oracle_vocab(texts, min_freq)
    if got.get("<pad>") != 0 or got.get("<unk>") != 1:
        return 'the special tokens come first: "<pad>" -> 0 and "<unk>" -> 1'
    if set(got) == set(want):
        by_count = _sorted(got, key=lambda w: got[w])
        words = [w for w in by_count if w not in ("<pad>", "<unk>")]
        if words == _sorted(words):
            return "words sorted alphabetically only; sort by falling frequency first, then A-Z"
        counts = _Counter(t for tokens in texts for t in tokens)
        if [counts[w] for w in words] == _sorted(counts[w] for w in words):
            return "words sorted by rising frequency; the most frequent word gets index 2"
    return None


def _check_vocab(got, texts, min_freq, name):
    got = plain(got, name, "a dict {word: index}")  # exact built-in types: no faked __eq__
    if not isinstance(got, dict):
        raise Feedback(f"{name} should return a dict {{word: index}}, got {_show(got)}.")
    want = _oracle_vocab(texts, min_freq)
    if got == want:
        return
    bad = [k for k in got if not isinstance(k, str) or not isinstance(got[k], int) or isinstance(got[k], bool)]
    if bad:
        raise Feedback(f"{name} maps {bad[0]!r} to {got[bad[0]]!r}; keys should be words (str) and "
                       "values Python ints.")
    lines = [f"{name} is not the expected vocabulary."]
    missing = [w for w in want if w not in got]
    extra = [w for w in got if w not in want]
    wrong_index = [w for w in want if w in got and got[w] != want[w]]
    if missing:
        lines.append(f"  missing: {_show(missing[:6])}")
    if extra:
        lines.append(f"  should not be there: {_show(extra[:6])}")
    for w in wrong_index[:5]:
        lines.append(f"  {w!r}: got index {got[w]}, expected {want[w]}")
    if len(wrong_index) > 5:
        lines.append(f"  ... and {len(wrong_index) - 5} more indices differ")
    mistake = _vocab_diagnosis(got, texts, min_freq)
    lines.append(f"Likely mistake: {mistake}." if mistake else
                 'Hint: "<pad>" 0, "<unk>" 1, then the words with count >= min_freq by falling '
                 "count, ties in alphabetical order.")
    raise Feedback("\n".join(lines))


# First seen d, c, a, b: ties broken by first appearance (Counter.most_common) give c, a, d, b.
VOCAB_EXAMPLE = [["d", "c", "a"], ["c", "a", "b"]]


@pytest.mark.points(2)
def test_build_vocab_worked_example(sub):
    """build_vocab([["d", "c", "a"], ["c", "a", "b"]]) -> <pad> 0, <unk> 1, a 2, c 3, b 4, d 5."""
    texts = [list(t) for t in VOCAB_EXAMPLE]
    got = sub.build_vocab(texts)
    _check_vocab(got, VOCAB_EXAMPLE, 1, 'build_vocab([["d", "c", "a"], ["c", "a", "b"]])')
    if texts != VOCAB_EXAMPLE:
        raise Feedback("build_vocab modified the caller's lists of tokens.")


TIE_TEXTS = [["zeta", "mango", "apple", "kiwi"], ["mango", "zeta", "banana"], ["kiwi", "zeta", "fig"],
             ["cherry", "banana", "mango", "date"]]


@pytest.mark.points(2)
def test_build_vocab_ties_alphabetical(sub):
    """Words with the same count are ordered alphabetically (not by first appearance)."""
    got = sub.build_vocab([list(t) for t in TIE_TEXTS])
    _check_vocab(got, TIE_TEXTS, 1, "build_vocab(texts with ties)")


@pytest.mark.points(3)
@pytest.mark.parametrize("min_freq", [1, 2, 3, 4])
def test_build_vocab_min_freq(sub, min_freq):
    """Only words seen at least min_freq times are kept (counted over all texts)."""
    # counts: the 4, to 3, cat 3, sat 2, on 2, mat 1, a 1, dog 2, ran 1
    texts = [["the", "cat", "sat", "on", "the", "mat"], ["the", "dog", "sat", "on", "a", "cat"],
             ["to", "the", "dog", "to"], ["cat", "ran", "to"]]
    got = sub.build_vocab([list(t) for t in texts], min_freq=min_freq)
    _check_vocab(got, texts, min_freq, f"build_vocab(texts, min_freq={min_freq})")


@pytest.mark.points(2)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_build_vocab_random_texts(sub, seed):
    """Seeded random texts (a pool of words with many ties), min_freq 1 to 3."""
    g = rng(seed)
    pool = ["w" + "".join(g.choice(list("abcdefgh"), size=3)) for _ in range(25)]
    n_texts = int(g.integers(1, 12))
    texts = [[pool[int(i)] for i in g.integers(0, len(pool), size=int(g.integers(0, 15)))]
             for _ in range(n_texts)]
    min_freq = int(g.integers(1, 4))
    got = sub.build_vocab([list(t) for t in texts], min_freq=min_freq)
    _check_vocab(got, texts, min_freq, f"build_vocab({n_texts} random texts, min_freq={min_freq})")


def test_build_vocab_empty(sub):
    """build_vocab([]) holds only the two special tokens."""
    got = sub.build_vocab([])
    _check_vocab(got, [], 1, "build_vocab([])")


# --- numericalize --------------------------------------------------------------------------------

NUMERICALIZE_CASES = [
    (["a", "zebra", "d"], {"<pad>": 0, "<unk>": 1, "a": 2, "c": 3, "b": 4, "d": 5}, [2, 1, 5]),
    (["the", "cat", "the", "moon", "cat"], {"<pad>": 0, "<unk>": 1, "the": 2, "cat": 3}, [2, 3, 2, 1, 3]),
    ([], {"<pad>": 0, "<unk>": 1, "x": 2}, []),
    (["only", "unknown"], {"<pad>": 0, "<unk>": 1, "known": 2}, [1, 1]),
]


@pytest.mark.points(2)
@pytest.mark.parametrize("tokens, vocab, want", NUMERICALIZE_CASES,
                         ids=[f"case{i}" for i in range(len(NUMERICALIZE_CASES))])
def test_numericalize(sub, tokens, vocab, want):
    """numericalize maps each token to its index, unknown words to 1 ("<unk>")."""
    name = f"numericalize({tokens!r}, vocab)"
    vocab_copy = dict(vocab)
    got = plain(sub.numericalize(list(tokens), vocab_copy), name, "a list of ints")
    if not isinstance(got, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in got):
        raise Feedback(f"{name} should return a list of Python ints, got {_show(got)}.")
    if vocab_copy != vocab:
        raise Feedback(f"{name} modified the vocabulary: unknown words must not be added to it.")
    if got == want:
        return
    message = f"{name} returned {got}, expected {want}."
    unknown = [t not in vocab for t in tokens]
    if len(got) == len(want) and all(g == 0 for g, u in zip(got, unknown) if u):
        message += ' Likely mistake: unknown words mapped to 0, the padding index; use 1 ("<unk>").'
    elif len(got) == len(want) - sum(unknown):
        message += ' Likely mistake: unknown words are dropped; map them to 1 ("<unk>").'
    raise Feedback(message)


# --- RNNCell -------------------------------------------------------------------------------------

PARAM_SHAPES = {"weight_ih": lambda i, h: (h, i), "weight_hh": lambda i, h: (h, h),
                "bias_ih": lambda i, h: (h,), "bias_hh": lambda i, h: (h,)}
CELL_SHAPES = [(1, 3, 4), (5, 2, 6), (3, 7, 7), (2, 1, 1)]   # (batch, input_size, hidden_size)


def _make_cell(sub, input_size: int, hidden_size: int):
    """(the learner's cell, a handle; its parameters' values; their facts), or feedback."""
    cell = sub.RNNCell(input_size, hidden_size)
    facts = sub.run(layer_facts, cell, list(PARAM_SHAPES))
    if not facts["is_module"]:
        raise Feedback("RNNCell(...) is not an nn.Module.")
    params = facts["parameters"]
    for name, shape_of in PARAM_SHAPES.items():
        if name not in params:
            if name in facts["plain"]:
                raise Feedback(f"RNNCell.{name} is a plain tensor, not a registered parameter: wrap "
                               "it in nn.Parameter(...).")
            raise Feedback(f"RNNCell({input_size}, {hidden_size}) has no parameter '{name}' (found "
                           f"{_sorted(params) or 'none'}). Likely mistake: RNNCell missing {name}; "
                           "it needs weight_ih, weight_hh, bias_ih and bias_hh, named as in nn.RNNCell.")
        check_array(params[name], f"RNNCell({input_size}, {hidden_size}).{name}",
                    shape=shape_of(input_size, hidden_size), dtype="floating", kind="tensor")
    if _sorted(params) != _sorted(PARAM_SHAPES):
        raise Feedback(f"RNNCell has the parameters {_sorted(params)}; expected exactly "
                       f"{_sorted(PARAM_SHAPES)}.")
    return cell, params, facts


def _reference_cell(input_size: int, hidden_size: int, seed: int):
    ref = _RNNCell(input_size, hidden_size)
    with torch.no_grad():
        for i, p in enumerate(ref.parameters()):
            p.copy_(randn(*p.shape, seed=seed + i) * 0.6)
    return ref


def _call_cell(cell, x, h, name):
    try:
        return cell(x, h)
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise Feedback(f"{name} raised {type(exc).__name__}: {exc}\nHint: x (N, input_size) @ "
                       "weight_ih.T and h (N, hidden_size) @ weight_hh.T.") from None


def _cell_variants(x, h, p):
    a_x = x @ p["weight_ih"].T + p["bias_ih"]
    a_h = h @ p["weight_hh"].T
    return [("RNNCell is missing bias_hh (h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh))", torch.tanh(a_x + a_h)),
            ("RNNCell is missing bias_ih", torch.tanh(a_x - p["bias_ih"] + a_h + p["bias_hh"])),
            ("RNNCell uses relu; nn.RNNCell's default nonlinearity is tanh", torch.relu(a_x + a_h + p["bias_hh"])),
            ("RNNCell ignores the hidden state h", torch.tanh(a_x + p["bias_hh"])),
            ("RNNCell has no nonlinearity: apply torch.tanh", a_x + a_h + p["bias_hh"])]


@pytest.mark.points(2)
@pytest.mark.parametrize("input_size, hidden_size", [(3, 4), (5, 5), (1, 2)])
def test_rnn_cell_parameters(sub, input_size, hidden_size):
    """RNNCell registers weight_ih (H, I), weight_hh (H, H), bias_ih (H,), bias_hh (H,) like nn.RNNCell."""
    cell, params, facts = _make_cell(sub, input_size, hidden_size)
    for name, p in params.items():
        if not facts["is_parameter"][name]:
            raise Feedback(f"RNNCell.{name} does not require grad.")
        if not bool(torch.isfinite(p.detach()).all()):
            raise Feedback(f"RNNCell.{name} contains nan or inf: initialise it (e.g. uniform in "
                           "[-1/sqrt(hidden_size), 1/sqrt(hidden_size)]).")
    w = params["weight_hh"].detach().reshape(-1)
    if w.numel() > 1 and bool((w == w[0]).all()):
        raise Feedback("Every entry of RNNCell.weight_hh is the same: initialise the weights "
                       "randomly, e.g. uniform in [-1/sqrt(hidden_size), 1/sqrt(hidden_size)].")
    try:
        _RNNCell(input_size, hidden_size).load_state_dict(cell.state_dict())
    except RuntimeError as exc:
        raise Feedback(f"nn.RNNCell.load_state_dict(your state_dict) failed: {exc}") from None


@pytest.mark.points(4)
@pytest.mark.parametrize("batch, input_size, hidden_size", CELL_SHAPES)
def test_rnn_cell_matches_nn_rnn_cell(sub, batch, input_size, hidden_size):
    """RNNCell loaded with nn.RNNCell's state_dict gives the same next hidden state."""
    cell, params, _ = _make_cell(sub, input_size, hidden_size)
    ref = _reference_cell(input_size, hidden_size, seed=batch * 100 + input_size * 10 + hidden_size)
    error = sub.run(load_state, cell, ref.state_dict())
    if error is not None:
        raise Feedback(f"RNNCell.load_state_dict(nn.RNNCell's state_dict) failed: {error}")
    x = randn(batch, input_size, seed=batch + 7) * 1.5
    h = randn(batch, hidden_size, seed=batch + 8)
    x_copy, h_copy = x.clone(), h.clone()
    got = _call_cell(cell, x, h, f"RNNCell({input_size}, {hidden_size})(x, h)")
    check_array(got, f"RNNCell({input_size}, {hidden_size})(x, h)", shape=(batch, hidden_size),
                dtype="floating", kind="tensor")
    assert_unchanged(x_copy, x, "x", mistake="an in-place operation on the input")
    assert_unchanged(h_copy, h, "h", mistake="an in-place operation on the hidden state")
    with torch.no_grad():
        want = ref(x, h)
        p = {k: v.detach() for k, v in ref.named_parameters()}
        wrong = _cell_variants(x, h, p)
    assert_close(got, want, f"RNNCell({input_size}, {hidden_size})(x, h)", rtol=1e-5, atol=1e-6,
                 diagnose=wrong, hint="h' = tanh(x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh)")


@pytest.mark.points(2)
@pytest.mark.parametrize("batch, input_size, hidden_size", [(1, 2, 3), (4, 3, 5)])
def test_rnn_cell_state_dict_into_nn_rnn_cell(sub, batch, input_size, hidden_size):
    """RNNCell's own state_dict loads into nn.RNNCell and both give the same output and gradients."""
    cell, params, _ = _make_cell(sub, input_size, hidden_size)
    ref = _RNNCell(input_size, hidden_size)
    try:
        ref.load_state_dict(cell.state_dict())
    except RuntimeError as exc:
        raise Feedback(f"nn.RNNCell.load_state_dict(your state_dict) failed: {exc}") from None
    x = randn(batch, input_size, seed=31 + batch)
    h = randn(batch, hidden_size, seed=37 + batch)
    upstream = randn(batch, hidden_size, seed=41 + batch)
    name = f"RNNCell({input_size}, {hidden_size})(x, h)"
    try:
        got, records, grads, _ = sub.run(parameter_backward, cell, [x, h], [], upstream)
    except (NotImplementedError, Feedback):
        raise
    except Exception as exc:  # noqa: BLE001
        raise Feedback(f"{name} raised {type(exc).__name__}: {exc}\nHint: x (N, input_size) @ "
                       "weight_ih.T and h (N, hidden_size) @ weight_hh.T.") from None
    check_array(got, "RNNCell(x, h)", shape=(batch, hidden_size), dtype="floating", kind="tensor")
    if not records:
        raise Feedback("RNNCell's output has no grad_fn: autograd recorded nothing (no torch.no_grad(), "
                       ".detach() or .data in forward).")
    with torch.no_grad():
        p = {k: v.detach() for k, v in ref.named_parameters()}
        wrong = _cell_variants(x, h, p)
    assert_close(got, ref(x, h), "RNNCell(x, h)", rtol=1e-5, atol=1e-6, diagnose=wrong)
    (ref(x, h) * upstream).sum().backward()
    ref_params = dict(ref.named_parameters())
    for name in params:
        if grads.get(name) is None:
            raise Feedback(f"After backward(), RNNCell.{name} has no gradient: use it in forward.")
        assert_close(grads[name], ref_params[name].grad, f"the gradient of RNNCell.{name}",
                     rtol=1e-5, atol=1e-6)


# --- run_rnn -------------------------------------------------------------------------------------

class _OracleCell(_RNNCell):
    """nn.RNNCell, callable as cell(x, h) or cell(x, h=h), like the exercise's RNNCell."""

    def forward(self, x, h=None):  # noqa: D102
        return super().forward(x, h)


def _oracle_setup(T, batch, input_size, hidden_size, seed):
    cell = _OracleCell(input_size, hidden_size)
    with torch.no_grad():
        for i, p in enumerate(cell.parameters()):
            p.copy_(randn(*p.shape, seed=seed + i) * 0.7)
    rnn = _RNN(input_size, hidden_size)
    rnn.load_state_dict({k + "_l0": v for k, v in cell.state_dict().items()})
    inputs = randn(T, batch, input_size, seed=seed + 10)
    h0 = randn(batch, hidden_size, seed=seed + 11) * 0.5
    return cell, rnn, inputs, h0


def with_a_cell(state, inputs, h0, upstream):
    """In the learner's process: run_rnn(cell, inputs, h0) on a cell with these parameters, written
    out (nn.RNNCell itself is refused there). With `upstream` (for outputs, for h_T), also the
    gradients of sum(outputs * up_out) + sum(h_T * up_h) for the inputs, h0 and the cell's
    parameters. Returns (result, records history, {name: grad})."""
    class Cell(nn.Module):
        def __init__(self):
            super().__init__()
            for key, value in state.items():
                setattr(self, key, nn.Parameter(value.clone()))

        def forward(self, x, h=None):
            if h is None:
                h = x.new_zeros(x.shape[0], self.weight_hh.shape[0])
            return torch.tanh(x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh)
    cell = Cell()
    if upstream is not None:
        inputs = inputs.detach().clone().requires_grad_(True)
        h0 = h0.detach().clone().requires_grad_(True)
    result = sub.run_rnn(cell, inputs, h0)
    if not (type(result) is tuple and len(result) == 2):
        return result, False, {}
    outputs, h_last = result
    tensors = type(outputs) is torch.Tensor and type(h_last) is torch.Tensor
    records = tensors and outputs.grad_fn is not None and h_last.grad_fn is not None
    grads = {}
    if upstream is not None and records and tuple(outputs.shape) == tuple(upstream[0].shape) \
            and tuple(h_last.shape) == tuple(upstream[1].shape):
        ((outputs * upstream[0]).sum() + (h_last * upstream[1]).sum()).backward()
        grads = {"inputs": inputs.grad, "h0": h0.grad, **{k: p.grad for k, p in cell.named_parameters()}}
    if tensors:
        result = (outputs.detach(), h_last.detach())
    return result, records, grads


def _run(sub, cell, inputs, h0, name, upstream=None):
    """run_rnn in the learner's process, on a cell with `cell`'s parameters: (outputs, h_T), and
    with `upstream`, (records history, gradients)."""
    result, records, grads = sub.run(with_a_cell, dict(cell.state_dict()), inputs, h0, upstream)
    if not isinstance(result, tuple) or len(result) != 2:
        raise Feedback(f"{name} should return a tuple (outputs, h_T), got {_show(result)}.")
    return (result, records, grads) if upstream is not None else result


def _run_rnn_wrong(cell, inputs, h0):
    with torch.no_grad():
        steps, h = [], h0
        for x in inputs:
            h = cell(x, h)
            steps.append(h)
        not_carried = torch.stack([cell(x, h0) for x in inputs])
        shifted = torch.stack([h0] + steps[:-1])
    return not_carried, shifted


# (T, batch, input, hidden); several steps first, so that a loop one step short is seen at once.
RUN_SHAPES = [(5, 3, 2, 6), (1, 1, 3, 4), (4, 1, 3, 3), (7, 2, 4, 5)]


@pytest.mark.points(4)
@pytest.mark.parametrize("T, batch, input_size, hidden_size", RUN_SHAPES)
def test_run_rnn_matches_nn_rnn(sub, T, batch, input_size, hidden_size):
    """run_rnn(cell, inputs, h0) gives nn.RNN's outputs (T, N, H) and final state h_T."""
    cell, rnn, inputs, h0 = _oracle_setup(T, batch, input_size, hidden_size, seed=T * 1000 + batch * 100 + hidden_size)
    inputs_copy, h0_copy = inputs.clone(), h0.clone()
    name = f"run_rnn(cell, inputs {tuple(inputs.shape)}, h0 {tuple(h0.shape)})"
    outputs, h_last = _run(sub, cell, inputs, h0, name)
    # The oracle runs after the learner's call has returned (it must not be readable from its frame).
    with torch.no_grad():
        want_outputs, want_h = rnn(inputs_copy, h0_copy.unsqueeze(0))
        want_h = want_h.squeeze(0)
    check_array(outputs, f"{name}'s outputs", kind="tensor")
    if tuple(outputs.shape) != (T, batch, hidden_size):
        assert_close(outputs, want_outputs, f"{name}'s outputs")     # names the shape's story
    check_array(outputs, f"{name}'s outputs", shape=(T, batch, hidden_size), dtype="floating", kind="tensor")
    check_array(h_last, f"{name}'s h_T", shape=(batch, hidden_size), dtype="floating", kind="tensor")
    assert_unchanged(inputs_copy, inputs, "inputs", mistake="an in-place operation on the inputs")
    assert_unchanged(h0_copy, h0, "h0", mistake="an in-place operation on the start state")
    not_carried, shifted = _run_rnn_wrong(cell, inputs_copy, h0_copy)
    carried = ("hidden state not carried between steps: every step starts again from h0; "
               "feed each step's new h into the next")
    assert_close(outputs, want_outputs, f"{name}'s outputs", rtol=1e-5, atol=1e-6,
                 diagnose=[(carried, not_carried),
                           ("outputs are shifted by one step: outputs[t] should be the state after "
                            "step t (h_{t+1}), not before it", shifted)],
                 hint="h = cell(inputs[t], h) for t = 0 .. T-1, keeping every new h")
    assert_close(h_last, want_h, f"{name}'s h_T", rtol=1e-5, atol=1e-6,
                 diagnose=[("run_rnn returns h0 instead of h_T, the state after the last step", h0),
                           (carried, not_carried[-1]),
                           ("returned the state before the last step, not after it", shifted[-1])],
                 hint="h_T is the hidden state after the last step, equal to outputs[-1]")


@pytest.mark.points(2)
@pytest.mark.parametrize("T, batch", [(1, 1), (6, 3)])
def test_run_rnn_gradients(sub, T, batch):
    """Gradients flow through run_rnn to the inputs, h0 and the cell's weights, as through nn.RNN."""
    cell, rnn, inputs, h0 = _oracle_setup(T, batch, 3, 4, seed=77 + T)
    inputs_ref = inputs.detach().clone().requires_grad_(True)
    h0_ref = h0.detach().clone().requires_grad_(True)
    up_out = randn(T, batch, 4, seed=91 + T)
    up_h = randn(batch, 4, seed=92 + T)
    (outputs, h_last), records, grads = _run(sub, cell, inputs, h0, "run_rnn(cell, inputs, h0)", (up_out, up_h))
    check_array(outputs, "run_rnn's outputs", shape=(T, batch, 4), kind="tensor")
    check_array(h_last, "run_rnn's h_T", shape=(batch, 4), kind="tensor")
    if not records:
        raise Feedback("run_rnn's results have no grad_fn: autograd recorded nothing. Do not use "
                       "torch.no_grad(), .detach() or .data inside run_rnn.")
    ref_out, ref_h = rnn(inputs_ref, h0_ref.unsqueeze(0))
    ((ref_out * up_out).sum() + (ref_h.squeeze(0) * up_h).sum()).backward()
    checks = [("the inputs", grads.get("inputs"), inputs_ref), ("h0", grads.get("h0"), h0_ref)]
    ref_params = dict(rnn.named_parameters())
    checks += [(f"the cell's {name}", grads.get(name), ref_params[name + "_l0"]) for name, _ in cell.named_parameters()]
    for name, got, ref in checks:
        if got is None:
            raise Feedback(f"After backward(), {name} has no gradient: run_rnn must keep the "
                           "computation connected (no .detach(), .data or torch.no_grad()).")
        assert_close(got, ref.grad, f"the gradient of {name} through run_rnn", rtol=1e-4, atol=1e-6,
                     hint="keep the steps connected: no .detach(), .data or torch.no_grad() on the "
                          "hidden state between steps")


@pytest.mark.points(1)
def test_run_rnn_worked_example(sub):
    """The worked example: weight_ih 1, weight_hh 0.5, no bias, inputs [1, 0] -> h_1 0.7616, h_2 0.3634."""
    cell = _OracleCell(1, 1)
    with torch.no_grad():
        cell.weight_ih.fill_(1.0)
        cell.weight_hh.fill_(0.5)
        cell.bias_ih.zero_()
        cell.bias_hh.zero_()
    inputs = torch.tensor([[[1.0]], [[0.0]]])
    h0 = torch.tensor([[0.0]])
    outputs, h_last = _run(sub, cell, inputs, h0, "run_rnn on the worked example")
    check_array(outputs, "run_rnn's outputs", shape=(2, 1, 1), dtype="floating", kind="tensor")
    check_array(h_last, "run_rnn's h_T", shape=(1, 1), dtype="floating", kind="tensor")
    h1 = 0.7615941559557649
    h2 = 0.3633994843890525
    assert_close(outputs, torch.tensor([[[h1]], [[h2]]]), "run_rnn's outputs on the worked example", rtol=1e-4,
                 atol=1e-6, diagnose=[("hidden state not carried between steps: every step starts "
                                       "again from h0", torch.tensor([[[h1]], [[0.0]]]))])
    assert_close(h_last, torch.tensor([[h2]]), "run_rnn's h_T on the worked example", rtol=1e-4, atol=1e-6,
                 diagnose=[("run_rnn returns h0 instead of h_T", torch.tensor([[0.0]]))])
