"""Hidden checks for `boxes`: box_iou, nms and build_detector.

Oracles: torchvision.ops.box_iou and torchvision.ops.nms (bound at import, before the
submission is loaded), the worked numbers of the exercise, and torchvision's own detector
builders called with the same arguments.
"""
import pytest
import torch
from torch import nn
import torchvision.models._api as _tv_api
from torchvision.models import detection as _detection
from torchvision.models.detection import FCOS as _FCOS, FasterRCNN as _FasterRCNN, RetinaNet as _RetinaNet
from torchvision.ops import box_iou as _ref_box_iou, nms as _ref_nms

from grader.checks.helpers import (Feedback, assert_close, assert_unchanged, check_array, describe,
                                   expect_raises, rand, randint, torch_generator)

# Thresholds are dyadic fractions (0.5, 0.375, ...): exact in float32 and float64 alike, so an
# IoU equal to the threshold compares the same whichever precision a solution computes in.

# Bound at import, before any submission is loaded (it may reassign module attributes).
_tensor = torch.tensor
_cat = torch.cat
_zeros = torch.zeros
_rand = torch.rand
_randint = torch.randint
_arange = torch.arange
_maximum = torch.maximum
_minimum = torch.minimum
_sort = torch.sort
_no_grad = torch.no_grad
_float32 = torch.float32
_int64 = torch.int64
_Module = nn.Module
_device = torch.device
_clone = torch.Tensor.clone
_builders = {name: getattr(_detection, name) for name in (
    "fasterrcnn_mobilenet_v3_large_320_fpn", "fasterrcnn_mobilenet_v3_large_fpn",
    "fasterrcnn_resnet50_fpn", "fasterrcnn_resnet50_fpn_v2", "fcos_resnet50_fpn",
    "retinanet_resnet50_fpn", "retinanet_resnet50_fpn_v2")}
_families = {"fasterrcnn": _FasterRCNN, "fcos": _FCOS, "retinanet": _RetinaNet}
_original_download = _tv_api.load_state_dict_from_url

TOL = dict(rtol=1e-5, atol=1e-6)


def random_boxes(n, seed, *, size=20, degenerate=False, integer=False):
    """(n, 4) boxes with x1 <= x2, y1 <= y2; integer corners make exact ties and equal IoUs."""
    g = torch_generator(seed)
    if integer:
        xy = _randint(0, size, (n, 2), generator=g).to(_float32)
        wh = _randint(1, size // 2, (n, 2), generator=g).to(_float32)
    else:
        xy = _rand((n, 2), generator=g) * size
        wh = _rand((n, 2), generator=g) * size / 2 + 0.1
    if degenerate and n:
        flat = _arange(n) % 3
        wh[flat == 0, 0] = 0.0          # zero width
        wh[flat == 1, 1] = 0.0          # zero height
    return _cat([xy, xy + wh], 1)


def iou_mistakes(b1, b2):
    """What box_iou's classic mistakes would return (computed here, for naming them)."""
    area1 = (b1[:, 2] - b1[:, 0]) * (b1[:, 3] - b1[:, 1])
    area2 = (b2[:, 2] - b2[:, 0]) * (b2[:, 3] - b2[:, 1])
    lt = _maximum(b1[:, None, :2], b2[None, :, :2])
    rb = _minimum(b1[:, None, 2:], b2[None, :, 2:])
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
    ]


def check_iou(sub, b1, b2, name):
    before1, before2 = _clone(b1), _clone(b2)
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
    b1 = _tensor([[0.0, 0.0, 2.0, 2.0]])
    b2 = _tensor([[1.0, 1.0, 3.0, 3.0]])
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
    b1 = _tensor([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 4.0, 4.0], [2.0, 2.0, 3.0, 5.0]])
    b2 = _tensor([[5.0, 6.0, 7.0, 9.0],     # far away: both overlaps negative
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
    empty = _zeros((0, 4))
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

    by_score = _sort(scores, descending=True, stable=True).indices.tolist()
    ascending = _sort(scores, stable=True).indices.tolist()
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
    before_b, before_s = _clone(boxes), _clone(scores)
    got = sub.nms(boxes, scores, threshold)
    want = _ref_nms(before_b, before_s, threshold).tolist()
    check_array(got, name, dtype=_int64, kind="tensor")
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
    scores = randint(0, 4, (n,), seed=seed + 50).to(_float32) / 4
    check_nms(sub, boxes, scores, 0.375, f"nms({n} boxes with tied scores, iou_threshold=0.375)")


@pytest.mark.points(2)
def test_nms_iou_equal_to_threshold(sub):
    """nms keeps a box whose IoU with a better box equals the threshold exactly."""
    # IoU(0, 1) = 2 / 4 = 0.5 and IoU(0, 2) = 2 / 8 = 0.25, exact in floating point.
    boxes = _tensor([[0.0, 0.0, 3.0, 1.0], [1.0, 0.0, 4.0, 1.0], [3.0, 0.0, 8.0, 1.0],
                     [0.0, 0.0, 5.0, 1.0]])
    scores = _tensor([0.9, 0.8, 0.7, 0.95])
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
    got = sub.nms(_zeros((0, 4)), _zeros((0,)), 0.5)
    check_array(got, "nms(0 boxes)", shape=(0,), dtype=_int64, kind="tensor")


# --- build_detector -------------------------------------------------------------------------

class _NoDownload:
    """While active, any attempt to download pretrained weights fails with a clear message."""

    def __enter__(self):
        def refuse(url, *args, **kwargs):
            raise Feedback(f"build_detector tried to download pretrained weights ({url}). Build"
                           " with weights=None and weights_backbone=None: random weights,"
                           " nothing downloaded.")
        _tv_api.load_state_dict_from_url = refuse

    def __exit__(self, *exc):
        _tv_api.load_state_dict_from_url = _original_download
        return False


def head_classes(model):
    """The number of classes the model's classification head predicts, or None."""
    try:
        if isinstance(model, _FasterRCNN):
            return model.roi_heads.box_predictor.cls_score.out_features
        return model.head.classification_head.num_classes
    except AttributeError:
        return None


def shapes(model):
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


@pytest.mark.points(1)
@pytest.mark.parametrize("name", list(_builders))
def test_build_detector(sub, name):
    """build_detector(name, num_classes) builds that torchvision detector and it detects."""
    _check_detector(sub, name, num_classes=3 if "fasterrcnn" in name else 4)


def _check_detector(sub, name, num_classes):
    call = f"build_detector({name!r}, num_classes={num_classes})"
    with _NoDownload():
        model = sub.build_detector(name, num_classes)
    if not isinstance(model, _Module):
        raise Feedback(f"{call} should return an nn.Module, got {describe(model)}.")
    family = _families[name.split("_")[0]]
    if not isinstance(model, family):
        raise Feedback(f"{call} returned a {type(model).__name__}, expected a {family.__name__}:"
                       f" use torchvision.models.detection.{name}.")
    classes = head_classes(model)
    if classes != num_classes:
        mistake = " Likely mistake: num_classes was not passed to the builder." if classes == 91 else ""
        raise Feedback(f"{call}: the classification head predicts {classes} classes, expected"
                       f" {num_classes}.{mistake} Pass num_classes=num_classes.")
    with _NoDownload(), _device("meta"):   # the reference architecture, without allocating it
        oracle = _builders[name](weights=None, weights_backbone=None, num_classes=num_classes)
    want, got = shapes(oracle), shapes(model)
    if got != want:
        differ = sorted(k for k in set(want) | set(got) if want.get(k) != got.get(k))
        hint = ""
        if any(k.endswith("num_batches_tracked") for k in differ):
            hint = (" The backbone uses frozen batch norm, as it does when pretrained backbone"
                    " weights are requested: pass weights_backbone=None.")
        raise Feedback(f"{call} does not have the parameters of torchvision's {name}:"
                       f" {len(differ)} entries of the state_dict differ (e.g. {differ[:3]})."
                       + (hint or f" Build it with torchvision.models.detection.{name}."))
    frozen = sorted(k for k, p in model.named_parameters() if not p.requires_grad)
    if frozen != sorted(k for k, p in oracle.named_parameters() if not p.requires_grad):
        raise Feedback(f"{call} has {len(frozen)} frozen parameters (requires_grad False), unlike"
                       f" torchvision's {name} built with weights=None, weights_backbone=None."
                       " Do not freeze layers, and pass weights_backbone=None.")
    transform, oracle_transform = model.transform, oracle.transform
    if (tuple(transform.min_size), transform.max_size) != (tuple(oracle_transform.min_size),
                                                          oracle_transform.max_size):
        raise Feedback(f"{call} resizes images to min_size={transform.min_size},"
                       f" max_size={transform.max_size}; torchvision's {name} uses"
                       f" min_size={oracle_transform.min_size}, max_size={oracle_transform.max_size}."
                       f" Build it with torchvision.models.detection.{name}.")
    del oracle
    # One forward pass on a tiny image, resized to 64 px here only to keep the check fast.
    # Fewer region proposals, too: Faster R-CNN's box head would otherwise run on 1000 of them.
    transform.min_size, transform.max_size = (64,), 64
    rpn = getattr(model, "rpn", None)
    for attr in ("_pre_nms_top_n", "_post_nms_top_n"):
        if isinstance(getattr(rpn, attr, None), dict):
            getattr(rpn, attr)["testing"] = 32
    model.eval()
    image = rand(3, 64, 80, seed=5)
    with _no_grad():
        out = model([image])
    if not isinstance(out, list) or len(out) != 1 or not isinstance(out[0], dict):
        raise Feedback(f"{call} in eval mode, given a list of one image, should return a list of"
                       f" one dict, got {describe(out)}.")
    det = out[0]
    for key in ("boxes", "labels", "scores"):
        if key not in det:
            raise Feedback(f"{call}'s detections have no {key!r} entry (keys: {sorted(det)}).")
    k = len(det["scores"])
    check_array(det["boxes"], "detections['boxes']", shape=(k, 4), dtype="floating", kind="tensor")
    check_array(det["labels"], "detections['labels']", shape=(k,), dtype=_int64, kind="tensor")
    check_array(det["scores"], "detections['scores']", shape=(k,), dtype="floating", kind="tensor")
    if k and int(det["labels"].max()) >= num_classes:
        raise Feedback(f"{call} predicted label {int(det['labels'].max())}, but there are only"
                       f" {num_classes} classes.")


@pytest.mark.points(1)
def test_build_detector_unknown_name(sub):
    """build_detector with an unknown name raises ValueError listing the valid names."""
    exc = expect_raises(ValueError, lambda: sub.build_detector("yolo_v8", 3),
                        "build_detector('yolo_v8', 3)", why="'yolo_v8' is not one of the seven detectors")
    text = str(exc)
    missing = [n for n in _builders if n not in text]
    if missing:
        raise Feedback(f"build_detector('yolo_v8', 3) raised ValueError({text!r}), but the message"
                       f" does not name the valid detectors (missing e.g. {missing[0]!r}). List them"
                       " so that the caller can fix the name.")
