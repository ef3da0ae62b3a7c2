"""run_rnn loops over range(T - 1): the last step is never computed.

expect: a loop that stops one step early
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
    return re.findall(r"[^\W_]+(?:'[^\W_]+)*", text.lower())


def build_vocab(texts: list[list[str]], min_freq: int = 1) -> dict[str, int]:
    """{"<pad>": 0, "<unk>": 1, then each word seen >= min_freq times: most frequent first, ties A-Z}."""
    counts = Counter(token for tokens in texts for token in tokens)
    vocab = {PAD: 0, UNK: 1}
    for word, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        if count >= min_freq and word not in vocab:
            vocab[word] = len(vocab)
    return vocab


def numericalize(tokens: list[str], vocab: dict[str, int]) -> list[int]:
    """Each token's index in vocab; a token not in vocab gets vocab["<unk>"] (1)."""
    unk = vocab.get(UNK, 1)
    return [vocab.get(token, unk) for token in tokens]


class RNNCell(nn.Module):
    """h' = tanh(x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh); x (N, I), h (N, H) -> (N, H)."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        k = 1.0 / math.sqrt(hidden_size)
        self.weight_ih = nn.Parameter(torch.empty(hidden_size, input_size).uniform_(-k, k))
        self.weight_hh = nn.Parameter(torch.empty(hidden_size, hidden_size).uniform_(-k, k))
        self.bias_ih = nn.Parameter(torch.empty(hidden_size).uniform_(-k, k))
        self.bias_hh = nn.Parameter(torch.empty(hidden_size).uniform_(-k, k))

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh)


def run_rnn(cell: RNNCell, inputs: torch.Tensor, h0: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """inputs (T, N, I), h0 (N, H) -> (outputs (T, N, H) with outputs[t] = h_{t+1}, h_T (N, H))."""
    h = h0
    outputs = []
    for t in range(len(inputs) - 1):
        h = cell(inputs[t], h)
        outputs.append(h)
    return torch.stack(outputs), h
