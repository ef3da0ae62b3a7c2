"""Alternative: a character loop for the tokenizer, a hand-made count and sort for the vocabulary,
torch.addmm / matmul with explicit .t() in the cell, and run_rnn filling a preallocated tensor
step by step (calling the cell with a keyword argument)."""
from __future__ import annotations

import torch
from torch import nn


def tokenize(text: str) -> list[str]:
    words, current = [], []
    for ch in text:
        if ch.isalnum():
            current.append(ch.lower())
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def build_vocab(texts, min_freq=1):
    counts: dict[str, int] = {}
    for tokens in texts:
        for token in tokens:
            counts[token] = counts.get(token, 0) + 1
    words = [w for w, c in counts.items() if c >= min_freq]
    words.sort()                                  # alphabetical first ...
    words.sort(key=lambda w: counts[w], reverse=True)   # ... then a stable sort by count
    vocab = {"<pad>": 0, "<unk>": 1}
    for i, w in enumerate(words):
        vocab[w] = i + 2
    return vocab


def numericalize(tokens, vocab):
    out = []
    for t in tokens:
        out.append(vocab[t] if t in vocab else 1)
    return out


class RNNCell(nn.Module):
    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        bound = hidden_size ** -0.5
        self.weight_ih = nn.Parameter(torch.rand(hidden_size, input_size) * 2 * bound - bound)
        self.weight_hh = nn.Parameter(torch.rand(hidden_size, hidden_size) * 2 * bound - bound)
        self.bias_ih = nn.Parameter(torch.rand(hidden_size) * 2 * bound - bound)
        self.bias_hh = nn.Parameter(torch.rand(hidden_size) * 2 * bound - bound)

    def forward(self, x, h):
        pre = torch.addmm(self.bias_ih, x, self.weight_ih.t()) + torch.matmul(h, self.weight_hh.t()) + self.bias_hh
        return pre.tanh()


def run_rnn(cell, inputs, h0):
    T, N, _ = inputs.shape
    outputs = inputs.new_zeros(T, N, h0.shape[-1])
    h = h0
    for t in range(T):
        h = cell(inputs[t], h=h)
        outputs[t] = h
    return outputs, outputs[-1]
