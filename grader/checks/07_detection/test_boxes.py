"""Hidden checks for `boxes`: box_iou, nms and build_detector.

Oracles: torchvision.ops.box_iou and torchvision.ops.nms, the worked numbers of the exercise,
and torchvision's own detector builders called with the same arguments (on the meta device, in
this process). What runs in the learner's process: the learner's functions, and the snippets
below that read the learner's detector and run its forward pass.
"""
from __future__ import annotations

import pytest
import torch
from torchvision.models import detection
from torchvision.ops import box_iou as _ref_box_iou, nms as _ref_nms

from grader.checks.helpers import (Feedback, assert_close, assert_unchanged, check_array, describe,
                                   expect_raises, rand, randint, torch_generator)

# Thresholds are dyadic fractions (0.5, 0.375, ...): exact in float32 and float64 alike, so an
# IoU equal to the threshold compares the same whichever precision a solution computes in.

DETECTORS = ("fasterrcnn_mobilenet_v3_large_320_fpn", "fasterrcnn_mobilenet_v3_large_fpn",
             "fasterrcnn_resnet50_fpn", "fasterrcnn_resnet50_fpn_v2", "fcos_resnet50_fpn",
             "retinanet_resnet50_fpn", "retinanet_resnet50_fpn_v2")
FAMILIES = {"fasterrcnn": detection.FasterRCNN, "fcos": detection.FCOS, "retinanet": detection.RetinaNet}
TOL = dict(rtol=1e-5, atol=1e-6)


def random_boxes(n, seed, *, size=20, degenerate=False, integer=False):
    """(n, 4) boxes with x1 <= x2, y1 <= y2; integer corners make exact ties and equal IoUs."""
    g = torch_generator(seed)
    if integer:
        xy = torch.randint(0, size, (n, 2), generator=g).to(torch.float32)
        wh = torch.randint(1, size // 2, (n, 2), generator=g).to(torch.float32)
    else:
        xy = torch.rand((n, 2), generator=g) * size
        wh = torch.rand((n, 2), generator=g) * size / 2 + 0.1
    if degenerate and n:
        flat = torch.arange(n) % 3
        wh[flat == 0, 0] = 0.0          # zero width
        wh[flat == 1, 1] = 0.0          # zero height
    return torch.cat([xy, xy + wh], 1)


def iou_mistakes(b1, b2):
    """What box_iou's classic mistakes would return (computed here, for naming them)."""
    area1 = (b1[:, 2] - b1[:, 0]) * (b1[:, 3] - b1[:, 1])
    area2 = (b2[:, 2] - b2[:, 0]) * (b2[:, 3] - b2[:, 1])
    lt = torch.maximum(b1[:, None, :2], b2[None, :, :2])
    rb = torch.minimum(b1[:, None, 2:], b2[None, :, 2:])
    wh = rb - lt
    raw = wh[..., 0] * wh[..., 1]
    inter = wh.clamp(min=0)[..., 0] * wh.clamp(min=0)[..., 1]
    total = area1[:, None] + area2[None, :]
    return [
        ("the union is area1 + area2 - intersection; dividing by the sum of the areas counts the"
         " overlap twice", inter / total),
        ("the intersection was not clamped at 0: boxes that do not overlap get a negative width"
         " or height (clamp(min=0) each before multiplying)", raw / (total - raw)),
        ("the intersection was not clamped at 0 and the union is area1 + area2 - intersection",
         raw / total),
        ("returned the intersection area instead of intersection over union", inter),
        ("returned the (N, M) IoU transposed", (inter / (total - inter)).T),
        ("the +1 pixel convention (width = x2 - x1 + 1) in the areas and the intersection: these boxes"
         " have continuous coordinates, so width = x2 - x1 and height = y2 - y1", _pixel_iou(b1, b2)),
    ]


def _pixel_iou(b1, b2):
    """IoU with the +1 pixel convention of old detection code (width = x2 - x1 + 1)."""
    area1 = (b1[:, 2] - b1[:, 0] + 1) * (b1[:, 3] - b1[:, 1] + 1)
    area2 = (b2[:, 2] - b2[:, 0] + 1) * (b2[:, 3] - b2[:, 1] + 1)
    wh = (torch.minimum(b1[:, None, 2:], b2[None, :, 2:]) - torch.maximum(b1[:, None, :2], b2[None, :, :2]) + 1).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter / (area1[:, None] + area2[None, :] - inter)


def check_iou(sub, b1, b2, name):
    before1, before2 = b1.clone(), b2.clone()
    got = sub.box_iou(b1, b2)
    check_array(got, name, shape=(len(b1), len(b2)), dtype="floating", kind="tensor")
    assert_unchanged(before1, b1, "boxes1", mistake="the boxes were modified in place")
    assert_unchanged(before2, b2, "boxes2", mistake="the boxes were modified in place")
    assert_close(got, _ref_box_iou(before1, before2), name, **TOL,
                 diagnose=iou_mistakes(before1, before2),
                 hint="intersection = clamp(min(x2) - max(x1), 0) * clamp(min(y2) - max(y1), 0);"
                      " union = area1 + area2 - intersection.")


# --- box_iou --------------------------------------------------------------------------------

@pytest.mark.points(1)
def test_box_iou_worked_example(sub):
    """box_iou of the worked example [0, 0, 2, 2] vs [1, 1, 3, 3] is 1/7."""
    b1 = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    b2 = torch.tensor([[1.0, 1.0, 3.0, 3.0]])
    check_iou(sub, b1, b2, "box_iou([[0, 0, 2, 2]], [[1, 1, 3, 3]])")


@pytest.mark.points(1)
@pytest.mark.parametrize("n, m, seed", [(1, 1, 1), (1, 5, 2), (6, 1, 3), (7, 9, 4), (30, 20, 5)])
def test_box_iou_random(sub, n, m, seed):
    """box_iou on seeded random boxes of several counts."""
    b1 = random_boxes(n, seed)
    b2 = random_boxes(m, seed + 100)
    check_iou(sub, b1, b2, f"box_iou(boxes1 ({n}, 4), boxes2 ({m}, 4))")


@pytest.mark.points(1)
def test_box_iou_far_apart_and_nested(sub):
    """box_iou of disjoint, touching, nested and identical boxes."""
    b1 = torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 4.0, 4.0], [2.0, 2.0, 3.0, 5.0]])
    b2 = torch.tensor([[5.0, 6.0, 7.0, 9.0],     # far away: both overlaps negative
                  [1.0, 0.0, 2.0, 1.0],     # touching at an edge: IoU 0
                  [1.0, 1.0, 2.0, 2.0],     # nested in b1[1]
                  [0.0, 0.0, 4.0, 4.0]])    # identical to b1[1]
    check_iou(sub, b1, b2, "box_iou(disjoint, touching, nested and identical boxes)")


@pytest.mark.points(1)
def test_box_iou_degenerate(sub):
    """box_iou with zero-area boxes (against boxes of positive area) is 0, not nan."""
    b1 = random_boxes(9, 11, degenerate=True)
    b2 = random_boxes(7, 12)
    check_iou(sub, b1, b2, "box_iou(zero-area boxes, boxes)")


@pytest.mark.points(1)
def test_box_iou_empty(sub):
    """box_iou with no boxes on one side returns an empty (0, M) or (N, 0) tensor."""
    b = random_boxes(4, 21)
    empty = torch.zeros((0, 4))
    got = sub.box_iou(empty, b)
    check_array(got, "box_iou(0 boxes, 4 boxes)", shape=(0, 4), kind="tensor")
    got = sub.box_iou(b, empty)
    check_array(got, "box_iou(4 boxes, 0 boxes)", shape=(4, 0), kind="tensor")


# --- nms ------------------------------------------------------------------------------------

def nms_mistakes(boxes, scores, threshold):
    """What nms's classic mistakes would return (computed with the oracle IoU)."""
    iou = _ref_box_iou(boxes, boxes)

    def greedy(order, suppress):
        dropped, keep = set(), []
        for i in order:
            if i in dropped:
                continue
            keep.append(i)
            dropped |= {j for j in range(len(boxes)) if suppress(float(iou[i, j]))}
        return keep

    by_score = torch.sort(scores, descending=True, stable=True).indices.tolist()
    ascending = torch.sort(scores, stable=True).indices.tolist()
    return [
        ("a box whose IoU equals iou_threshold exactly must be kept: suppress only when"
         " IoU > iou_threshold, not >=", greedy(by_score, lambda v: v >= threshold)),
        ("the boxes were not visited in order of falling score (sort by score first, highest"
         " first)", greedy(list(range(len(boxes))), lambda v: v > threshold)),
        ("sorted by score in ascending order; the highest score comes first",
         greedy(ascending, lambda v: v > threshold)),
        ("kept the boxes whose IoU is above the threshold instead of dropping them",
         greedy(by_score, lambda v: v <= threshold)),
    ]


def describe_keep(keep, limit=16):
    shown = ", ".join(str(int(i)) for i in keep[:limit])
    return "[" + shown + (f", ... ({len(keep)} in all)" if len(keep) > limit else "") + "]"


def check_nms(sub, boxes, scores, threshold, name):
    before_b, before_s = boxes.clone(), scores.clone()
    got = sub.nms(boxes, scores, threshold)
    want = _ref_nms(before_b, before_s, threshold).tolist()
    check_array(got, name, dtype=torch.int64, kind="tensor")
    if got.dim() != 1:
        raise Feedback(f"{name} should be a 1-D tensor of kept indices, got {describe(got)}.")
    assert_unchanged(before_b, boxes, "boxes", mistake="the boxes were modified in place")
    assert_unchanged(before_s, scores, "scores", mistake="the scores were modified in place")
    got_list = [int(i) for i in got.tolist()]
    if got_list == want:
        return
    message = (f"{name} kept indices {describe_keep(got_list)}, expected {describe_keep(want)}"
               f" (the kept boxes, highest score first).")
    if sorted(got_list) == sorted(want):
        message += " The right boxes, in the wrong order: return them highest score first."
        raise Feedback(message)
    for mistake, wrong in nms_mistakes(before_b, before_s, threshold):
        if got_list == wrong:
            raise Feedback(message + f"\nLikely mistake: {mistake}.")
    extra = sorted(set(got_list) - set(want))
    missing = sorted(set(want) - set(got_list))
    if extra:
        message += f" Kept but should be suppressed: {describe_keep(extra)}."
    if missing:
        message += f" Suppressed but should be kept: {describe_keep(missing)}."
    tied = len(set(before_s.tolist())) < len(before_s)
    if tied:
        message += (" Some scores are tied here: take equal scores in index order"
                    " (torch.sort(scores, descending=True, stable=True)).")
    raise Feedback(message)


@pytest.mark.points(1)
@pytest.mark.parametrize("n, threshold, seed", [(1, 0.5, 1), (8, 0.5, 2), (25, 0.25, 3),
                                                 (40, 0.625, 4), (60, 0.125, 5)])
def test_nms_random(sub, n, threshold, seed):
    """nms on seeded random boxes and scores agrees with torchvision.ops.nms."""
    boxes = random_boxes(n, seed, size=30)
    scores = rand(n, seed=seed + 50)
    check_nms(sub, boxes, scores, threshold, f"nms({n} boxes, iou_threshold={threshold})")


@pytest.mark.points(1)
@pytest.mark.parametrize("seed", [7, 8, 9])
def test_nms_tied_scores(sub, seed):
    """nms with many equal scores: ties are taken in index order, as torchvision does."""
    n = 40
    boxes = random_boxes(n, seed, size=16, integer=True)
    scores = randint(0, 4, (n,), seed=seed + 50).to(torch.float32) / 4
    check_nms(sub, boxes, scores, 0.375, f"nms({n} boxes with tied scores, iou_threshold=0.375)")


@pytest.mark.points(2)
def test_nms_iou_equal_to_threshold(sub):
    """nms keeps a box whose IoU with a better box equals the threshold exactly."""
    # IoU(0, 1) = 2 / 4 = 0.5 and IoU(0, 2) = 2 / 8 = 0.25, exact in floating point.
    boxes = torch.tensor([[0.0, 0.0, 3.0, 1.0], [1.0, 0.0, 4.0, 1.0], [3.0, 0.0, 8.0, 1.0],
                     [0.0, 0.0, 5.0, 1.0]])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.95])
    check_nms(sub, boxes, scores, 0.5, "nms(boxes with IoU exactly 0.5, iou_threshold=0.5)")
    check_nms(sub, boxes, scores, 0.25, "nms(boxes with IoU exactly 0.25, iou_threshold=0.25)")


@pytest.mark.points(1)
def test_nms_degenerate(sub):
    """nms with zero-area boxes among normal ones (a zero-area box overlaps nothing)."""
    n = 24
    boxes = random_boxes(n, 31, size=12, degenerate=True)
    boxes[1::3] = random_boxes(8, 32, size=12)     # a third of the boxes have positive area
    scores = rand(n, seed=33)
    check_nms(sub, boxes, scores, 0.25, f"nms({n} boxes, some of zero area)")


@pytest.mark.points(1)
def test_nms_empty(sub):
    """nms of no boxes returns an empty int64 tensor."""
    got = sub.nms(torch.zeros((0, 4)), torch.zeros((0,)), 0.5)
    check_array(got, "nms(0 boxes)", shape=(0,), dtype=torch.int64, kind="tensor")


# --- build_detector -------------------------------------------------------------------------
# What runs in the learner's process (grader/judge.py: sub.run).

def build_refusing_downloads(name, num_classes):
    """sub.build_detector(name, num_classes) with downloads refused: (the model, None), or (None,
    the URL it tried to download)."""
    from torchvision.models import _api
    tried, original = [], _api.load_state_dict_from_url

    def refuse(url, *args, **kwargs):
        tried.append(url)
        raise RuntimeError(f"downloading {url} is refused")
    _api.load_state_dict_from_url = refuse
    try:
        return sub.build_detector(name, num_classes), None
    except Exception:
        if tried:
            return None, tried[0]
        raise
    finally:
        _api.load_state_dict_from_url = original


def detector_facts(model):
    """What the checks compare: the model's classes, its head's class count, its parameters'
    shapes, which are frozen, and how it resizes images; only its type's name when it is no nn.Module."""
    if not isinstance(model, nn.Module):
        return {"not_a_module": type(model).__name__}
    head = None
    for path in (("roi_heads", "box_predictor", "cls_score", "out_features"),
                 ("head", "classification_head", "num_classes")):
        value = model
        for attr in path:
            value = getattr(value, attr, None)
        if type(value) is int:
            head = value
            break
    transform = getattr(model, "transform", None)
    return {"classes": [f"{c.__module__}.{c.__qualname__}" for c in type(model).__mro__],
            "head": head,
            "shapes": {k: list(v.shape) for k, v in model.state_dict().items()},
            "frozen": sorted(k for k, p in model.named_parameters() if not p.requires_grad),
            "resize": None if transform is None else [list(transform.min_size), transform.max_size]}


def detect(model, image):
    """One forward pass in eval mode on a tiny image, resized to 64 px only to keep the check fast,
    with fewer region proposals (Faster R-CNN's box head would otherwise run on 1000 of them)."""
    model.transform.min_size, model.transform.max_size = (64,), 64
    rpn = getattr(model, "rpn", None)
    for attr in ("_pre_nms_top_n", "_post_nms_top_n"):
        if isinstance(getattr(rpn, attr, None), dict):
            getattr(rpn, attr)["testing"] = 32
    model.eval()
    with torch.no_grad():
        return model([image])


# --- build_detector: the checks ---------------------------------------------------------------

def qualified(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


@pytest.mark.points(1)
@pytest.mark.parametrize("name", DETECTORS)
def test_build_detector(sub, name):
    """build_detector(name, num_classes) builds that torchvision detector and it detects."""
    num_classes = 3 if "fasterrcnn" in name else 4
    call = f"build_detector({name!r}, num_classes={num_classes})"
    model, url = sub.run(build_refusing_downloads, name, num_classes)
    if url is not None:
        raise Feedback(f"{call} tried to download pretrained weights ({url}). Build with"
                       " weights=None and weights_backbone=None: random weights, nothing downloaded.")
    facts = sub.run(detector_facts, model)
    if "not_a_module" in facts:
        raise Feedback(f"{call} should return an nn.Module, got a {facts['not_a_module']}.")
    family = FAMILIES[name.split("_")[0]]
    if qualified(family) not in facts["classes"]:
        raise Feedback(f"{call} returned a {facts['classes'][0].rsplit('.', 1)[-1]}, expected a"
                       f" {family.__name__}: use torchvision.models.detection.{name}.")
    if facts["head"] != num_classes:
        mistake = " Likely mistake: num_classes was not passed to the builder." if facts["head"] == 91 else ""
        raise Feedback(f"{call}: the classification head predicts {facts['head']} classes, expected"
                       f" {num_classes}.{mistake} Pass num_classes=num_classes.")
    with torch.device("meta"):   # the reference architecture, without allocating it
        oracle = getattr(detection, name)(weights=None, weights_backbone=None, num_classes=num_classes)
    want = {k: list(v.shape) for k, v in oracle.state_dict().items()}
    got = facts["shapes"]
    if got != want:
        differ = sorted(k for k in set(want) | set(got) if want.get(k) != got.get(k))
        hint = ""
        if any(k.endswith("num_batches_tracked") for k in differ):
            hint = (" The backbone uses frozen batch norm, as it does when pretrained backbone"
                    " weights are requested: pass weights_backbone=None.")
        raise Feedback(f"{call} does not have the parameters of torchvision's {name}:"
                       f" {len(differ)} entries of the state_dict differ (e.g. {differ[:3]})."
                       + (hint or f" Build it with torchvision.models.detection.{name}."))
    frozen = facts["frozen"]
    if frozen != sorted(k for k, p in oracle.named_parameters() if not p.requires_grad):
        raise Feedback(f"{call} has {len(frozen)} frozen parameters (requires_grad False), unlike"
                       f" torchvision's {name} built with weights=None, weights_backbone=None."
                       " Do not freeze layers, and pass weights_backbone=None.")
    resize = [list(oracle.transform.min_size), oracle.transform.max_size]
    if facts["resize"] != resize:
        got_resize = facts["resize"] or [None, None]
        raise Feedback(f"{call} resizes images to min_size={got_resize[0]}, max_size={got_resize[1]};"
                       f" torchvision's {name} uses min_size={resize[0]}, max_size={resize[1]}."
                       f" Build it with torchvision.models.detection.{name}.")
    del oracle
    with sub.library_code():   # torchvision's forward pass runs torchvision's own NMS
        out = sub.run(detect, model, rand(3, 64, 80, seed=5))
    if not isinstance(out, list) or len(out) != 1 or not isinstance(out[0], dict):
        raise Feedback(f"{call} in eval mode, given a list of one image, should return a list of"
                       f" one dict, got {describe(out)}.")
    det = out[0]
    for key in ("boxes", "labels", "scores"):
        if key not in det:
            raise Feedback(f"{call}'s detections have no {key!r} entry (keys: {sorted(det)}).")
    k = len(det["scores"]) if isinstance(det["scores"], torch.Tensor) and det["scores"].dim() else 0
    check_array(det["boxes"], "detections['boxes']", shape=(k, 4), dtype="floating", kind="tensor")
    check_array(det["labels"], "detections['labels']", shape=(k,), dtype=torch.int64, kind="tensor")
    check_array(det["scores"], "detections['scores']", shape=(k,), dtype="floating", kind="tensor")
    if k and int(det["labels"].max()) >= num_classes:
        raise Feedback(f"{call} predicted label {int(det['labels'].max())}, but there are only"
                       f" {num_classes} classes.")


@pytest.mark.points(1)
def test_build_detector_unknown_name(sub):
    """build_detector with an unknown name raises ValueError listing the valid names."""
    exc = expect_raises(ValueError, lambda: sub.build_detector("yolo_v8", 3),
                        "build_detector('yolo_v8', 3)", why="'yolo_v8' is not one of the seven detectors")
    text = getattr(exc, "message", None) or str(exc)
    missing = [n for n in DETECTORS if n not in text]
    if missing:
        raise Feedback(f"build_detector('yolo_v8', 3) raised ValueError({text!r}), but the message"
                       f" does not name the valid detectors (missing e.g. {missing[0]!r}). List them"
                       " so that the caller can fix the name.")
