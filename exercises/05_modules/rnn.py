"""From text to numbers, and a recurrent cell that reads a sequence one step at a time.

A network reads numbers, not words. Three small steps turn text into them:

1. `tokenize` splits a text into lower-case words and drops the punctuation:
   "The course, well organized!" -> ["the", "course", "well", "organized"].
   A word is a run of letters and digits; an apostrophe between two such runs stays inside the
   word, and the underscore counts as punctuation (it separates words):
   "Don't split snake_case!" -> ["don't", "split", "snake", "case"].
2. `build_vocab` gives every word that occurs at least `min_freq` times an index. Two special
   tokens come first: "<pad>" -> 0 (fills short sequences up to a common length) and
   "<unk>" -> 1 (any word not in the vocabulary). Then the words by falling frequency, ties in
   alphabetical order, so the same texts always give the same vocabulary.
   Example: [["d", "c", "a"], ["c", "a", "b"]] -> {"<pad>": 0, "<unk>": 1, "a": 2, "c": 3,
   "b": 4, "d": 5} ("a" and "c" twice, then "b" and "d" once each; within a count the order is
   alphabetical, not the order in which the words first appear, d c a b).
3. `numericalize` maps tokens to their indices, unknown words to 1 ("<unk>"):
   ["a", "zebra", "d"] -> [2, 1, 5] with the vocabulary above.

A recurrent neural network (RNN) keeps a hidden state h, a vector of `hidden_size` numbers,
and updates it with every input vector x of the sequence:

    h' = tanh(x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh)

with weight_ih (hidden_size, input_size), weight_hh (hidden_size, hidden_size) and both biases
(hidden_size,): the same names and shapes as `nn.RNNCell`, so a state_dict moves between the two.
For a batch, x is (N, input_size) and h is (N, hidden_size). The same cell, with the same weights,
is applied at every step: for inputs of shape (T, N, input_size) and a start state h0,

    h_1 = cell(x_0, h0),  h_2 = cell(x_1, h_1),  ...,  h_T = cell(x_{T-1}, h_{T-1})

`run_rnn` returns all of them stacked, outputs (T, N, hidden_size) with outputs[t] = h_{t+1},
and the final state h_T (N, hidden_size), which equals outputs[-1].
Worked example (input_size 1, hidden_size 1): weight_ih = [[1]], weight_hh = [[0.5]], both
biases 0, h0 = [[0]], inputs [[[1]], [[0]]] give h_1 = tanh(1) = 0.7616 and
h_2 = tanh(0.5 * 0.7616) = 0.3634.
"""
from __future__ import annotations

import math
import re
from collections import Counter

import torch
from torch import nn

PAD, UNK = "<pad>", "<unk>"


def tokenize(text: str) -> list[str]:
    """Lower-case words, punctuation dropped: "The course, well organized!" -> ["the", "course", "well", "organized"]."""
    # TODO: lower-case the text and keep only the words. One regular expression does both the
    #       splitting and the dropping of punctuation:
    #           re.findall(r"[^\W_]+(?:'[^\W_]+)*", text.lower())
    #       [^\W_] is a letter or digit (\w without the underscore), and (?:'[^\W_]+)* lets an
    #       apostrophe join two runs: "don't" stays whole, "snake_case" gives "snake", "case".
    #       (A plain r"\w+" would give "don", "t" and keep "snake_case" as one word.)
    raise NotImplementedError("tokenize")


def build_vocab(texts: list[list[str]], min_freq: int = 1) -> dict[str, int]:
    """{"<pad>": 0, "<unk>": 1, then each word seen >= min_freq times: most frequent first, ties A-Z}."""
    # TODO: count every token over all texts (collections.Counter), start from
    #       {PAD: 0, UNK: 1}, then add the words with count >= min_freq in the order
    #       (falling count, then alphabetical), each with the next free index.
    raise NotImplementedError("build_vocab")


def numericalize(tokens: list[str], vocab: dict[str, int]) -> list[int]:
    """Each token's index in vocab; a token not in vocab gets vocab["<unk>"] (1)."""
    # TODO: look each token up in vocab; a missing token becomes the index of UNK.
    raise NotImplementedError("numericalize")


class RNNCell(nn.Module):
    """h' = tanh(x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh); x (N, I), h (N, H) -> (N, H)."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        # TODO: register weight_ih (hidden_size, input_size), weight_hh (hidden_size, hidden_size),
        #       bias_ih and bias_hh (hidden_size,) as nn.Parameter, each uniform in [-k, k] with
        #       k = 1 / math.sqrt(hidden_size), as nn.RNNCell does.
        raise NotImplementedError("RNNCell.__init__")

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        # TODO: one step of the recurrence (see the formula above).
        raise NotImplementedError("RNNCell.forward")


def run_rnn(cell: RNNCell, inputs: torch.Tensor, h0: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """inputs (T, N, I), h0 (N, H) -> (outputs (T, N, H) with outputs[t] = h_{t+1}, h_T (N, H))."""
    # TODO: start from h0, apply the cell to each time step inputs[t] with the current state,
    #       keep every new state; return them stacked (torch.stack) and the last one.
    raise NotImplementedError("run_rnn")
