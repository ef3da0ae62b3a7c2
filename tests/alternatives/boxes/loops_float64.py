"""Boxes with explicit loops: IoU pair by pair in float64, NMS with a shrinking candidate list,
and the detectors looked up in a table of builder functions."""
from __future__ import annotations

import torch
from torch import nn
from torchvision.models.detection import (fasterrcnn_mobilenet_v3_large_320_fpn,
                                          fasterrcnn_mobilenet_v3_large_fpn,
                                          fasterrcnn_resnet50_fpn, fasterrcnn_resnet50_fpn_v2,
                                          fcos_resnet50_fpn, retinanet_resnet50_fpn,
                                          retinanet_resnet50_fpn_v2)

BUILDERS = {
    "fasterrcnn_mobilenet_v3_large_320_fpn": fasterrcnn_mobilenet_v3_large_320_fpn,
    "fasterrcnn_mobilenet_v3_large_fpn": fasterrcnn_mobilenet_v3_large_fpn,
    "fasterrcnn_resnet50_fpn": fasterrcnn_resnet50_fpn,
    "fasterrcnn_resnet50_fpn_v2": fasterrcnn_resnet50_fpn_v2,
    "fcos_resnet50_fpn": fcos_resnet50_fpn,
    "retinanet_resnet50_fpn": retinanet_resnet50_fpn,
    "retinanet_resnet50_fpn_v2": retinanet_resnet50_fpn_v2,
}


def _iou(a: list[float], b: list[float]) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else float("nan")


def box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    b1 = boxes1.double().tolist()
    b2 = boxes2.double().tolist()
    out = torch.zeros((len(b1), len(b2)), dtype=torch.float64)
    for i, a in enumerate(b1):
        for j, b in enumerate(b2):
            out[i, j] = _iou(a, b)
    return out


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    b = boxes.tolist()
    s = scores.tolist()
    candidates = sorted(range(len(b)), key=lambda i: (-s[i], i))
    keep = []
    while candidates:
        best = candidates.pop(0)
        keep.append(best)
        candidates = [i for i in candidates if not _iou(b[best], b[i]) > iou_threshold]
    return torch.tensor(keep, dtype=torch.long)


def build_detector(name: str, num_classes: int) -> nn.Module:
    try:
        builder = BUILDERS[name]
    except KeyError:
        raise ValueError(f"{name!r} is not a detector I know. Valid names: {sorted(BUILDERS)}") from None
    return builder(weights=None, weights_backbone=None, num_classes=num_classes)
