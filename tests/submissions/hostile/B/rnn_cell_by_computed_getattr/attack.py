"""Text to numbers, and a recurrent cell."""
from __future__ import annotations

import math
import re
from collections import Counter

import torch
from torch import nn

PAD, UNK = "<pad>", "<unk>"


def tokenize(text):
    return re.findall(r"[^\W_]+(?:'[^\W_]+)*", text.lower())


def build_vocab(texts, min_freq=1):
    counts = Counter(token for tokens in texts for token in tokens)
    vocab = {PAD: 0, UNK: 1}
    for word, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        if count >= min_freq and word not in vocab:
            vocab[word] = len(vocab)
    return vocab


def numericalize(tokens, vocab):
    unk = vocab.get(UNK, 1)
    return [vocab.get(token, unk) for token in tokens]


def run_rnn(cell, inputs, h0):
    h = h0
    outputs = []
    for x in inputs:
        h = cell(x, h)
        outputs.append(h)
    return torch.stack(outputs), h


class RNNCell(getattr(nn, "RNN" + "Cell")):
    def __init__(self, input_size, hidden_size):
        super().__init__(input_size, hidden_size, bias=True, nonlinearity="tanh")

    def forward(self, x, h):
        return super().forward(x, h)
