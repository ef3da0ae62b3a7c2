"""Boxes: intersection over union, non-maximum suppression, and torchvision's detectors.

An object detector answers "what is where" with boxes. Here a box is four numbers
(x1, y1, x2, y2): the top-left corner (x1, y1) and the bottom-right corner (x2, y2), in pixels,
with x1 <= x2 and y1 <= y2. Its area is (x2 - x1) * (y2 - y1); a box with x1 == x2 or y1 == y2
is degenerate, with area 0. A batch of N boxes is a tensor of shape (N, 4).

Intersection over union (IoU) measures how much two boxes overlap. The intersection of two
boxes is the box between the larger top-left corner and the smaller bottom-right corner; when
the boxes do not overlap that "box" has a negative width or height, so clamp both at 0 before
multiplying. The union is area1 + area2 - intersection (the overlap would otherwise count
twice). `box_iou(boxes1, boxes2)` returns every pair at once, shape (N, M):

    box_iou([[0, 0, 2, 2]], [[1, 1, 3, 3]])
    intersection = [1, 1, 2, 2] -> 1,  union = 4 + 4 - 1 = 7,  IoU = 1/7 ≈ 0.1429

A detector proposes many overlapping boxes for one object. Non-maximum suppression (NMS) keeps
the best one: take the box with the highest score, keep it, and drop every remaining box whose
IoU with it is greater than `iou_threshold` (a box at exactly the threshold stays); repeat with
the best box left. `nms` returns the indices of the kept boxes (int64), highest score first.
Boxes with equal scores are taken in index order (a stable sort), as torchvision does on the
CPU.

Finally, torchvision ships complete detectors. `build_detector(name, num_classes)` builds one
of seven by name with random weights (`weights=None, weights_backbone=None`: nothing is
downloaded) and a head for `num_classes` classes (background included for Faster R-CNN). In
eval mode a detector takes a list of images (3, H, W) and returns one dict per image with
"boxes" (K, 4), "labels" (K,) int64 and "scores" (K,).
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
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """IoU of every pair: boxes1 (N, 4), boxes2 (M, 4) -> (N, M), entry [i, j] = IoU(b1[i], b2[j])."""
    area1 = box_area(boxes1)                                       # (N,)
    area2 = box_area(boxes2)                                       # (M,)
    top_left = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])       # (N, M, 2)
    bottom_right = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])   # (N, M, 2)
    wh = (bottom_right - top_left).clamp(min=0)                    # no overlap -> 0, not negative
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
