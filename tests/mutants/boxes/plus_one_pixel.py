"""The +1 pixel convention (old detection code counts pixels: width = x2 - x1 + 1) in the box areas and the intersection, where torchvision's continuous coordinates have width = x2 - x1.

expect: +1 pixel
"""
from __future__ import annotations

import torch
from torch import nn
from torchvision.models import detection

DETECTORS = (
    "fasterrcnn_mobilenet_v3_large_320_fpn",
    "fasterrcnn_mobilenet_v3_large_fpn",
    "fasterrcnn_resnet50_fpn",
    "fasterrcnn_resnet50_fpn_v2",
    "fcos_resnet50_fpn",
    "retinanet_resnet50_fpn",
    "retinanet_resnet50_fpn_v2",
)


def box_area(boxes: torch.Tensor) -> torch.Tensor:
    """Areas of boxes (N, 4) in (x1, y1, x2, y2) form -> (N,)."""
    return (boxes[:, 2] - boxes[:, 0] + 1) * (boxes[:, 3] - boxes[:, 1] + 1)


def box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """IoU of every pair: boxes1 (N, 4), boxes2 (M, 4) -> (N, M), entry [i, j] = IoU(b1[i], b2[j])."""
    area1 = box_area(boxes1)                                       # (N,)
    area2 = box_area(boxes2)                                       # (M,)
    top_left = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])       # (N, M, 2)
    bottom_right = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])   # (N, M, 2)
    wh = (bottom_right - top_left + 1).clamp(min=0)
    intersection = wh[..., 0] * wh[..., 1]                         # (N, M)
    union = area1[:, None] + area2[None, :] - intersection
    return intersection / union


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Non-maximum suppression: boxes (N, 4), scores (N,) -> kept indices (K,) int64, best first.

    A box is dropped when its IoU with an already kept, higher-scoring box is > iou_threshold.
    """
    order = torch.sort(scores, descending=True, stable=True).indices
    iou = box_iou(boxes, boxes)
    suppressed = torch.zeros(len(boxes), dtype=torch.bool, device=boxes.device)
    keep = []
    for i in order.tolist():
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= iou[i] > iou_threshold
    return torch.tensor(keep, dtype=torch.int64, device=boxes.device)


def build_detector(name: str, num_classes: int) -> nn.Module:
    """One of DETECTORS by name, random weights (nothing downloaded), num_classes classes."""
    if name not in DETECTORS:
        raise ValueError(f"unknown detector {name!r}; choose one of: {', '.join(DETECTORS)}")
    builder = getattr(detection, name)
    return builder(weights=None, weights_backbone=None, num_classes=num_classes)
