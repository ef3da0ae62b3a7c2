"""Max and min pooling."""
from __future__ import annotations

import torch

import torchvision.ops as _ops


def max_pool2d(x, kernel_size, stride=None):
    s = kernel_size if stride is None else stride
    k = kernel_size
    n, c, h, w = x.shape
    ho = (h - k) // s + 1
    wo = (w - k) // s + 1
    bi = torch.arange(n).view(n, 1, 1).expand(n, ho, wo)
    ys = (torch.arange(ho) * s).view(1, ho, 1).expand(n, ho, wo)
    xs = (torch.arange(wo) * s).view(1, 1, wo).expand(n, ho, wo)
    boxes = torch.stack([bi, xs, ys, xs + k - 1, ys + k - 1], dim=-1).reshape(-1, 5).to(x.dtype)
    pooled = _ops.roi_pool(x, boxes, output_size=(1, 1), spatial_scale=1.0)   # (n*ho*wo, c, 1, 1)
    return pooled.view(n, ho, wo, c).permute(0, 3, 1, 2).contiguous()


def min_pool2d(x, kernel_size, stride=None):
    return -max_pool2d(-x, kernel_size, stride)
