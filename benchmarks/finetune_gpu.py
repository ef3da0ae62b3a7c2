"""Images per second for fine-tuning ResNet18, and what each GPU speed-up is worth.

Trains torchvision's ResNet18 (random weights, nothing downloaded; frozen backbone and a new fc
as in the finetune_resnet18 exercise, or every layer with --full) on synthetic images, and
prints each variant's throughput and its ratio to the plain fp32 baseline:

    fp32                    the baseline: float32, NCHW, batches already on the device
    bf16 autocast           torch.autocast(device_type, dtype=torch.bfloat16)
    channels_last           model and batches in the NHWC memory layout
    bf16 + channels_last    both
    host batches, pageable  batches made on the CPU and copied with .to(device) every step
    host batches, pinned    the same from pinned memory with .to(device, non_blocking=True)
                            (CUDA only)

    python benchmarks/finetune_gpu.py                  # the best device found, its defaults
    python benchmarks/finetune_gpu.py --device cuda --batch-size 128 --steps 30
    python benchmarks/finetune_gpu.py --device cpu     # tiny sizes: checks that it runs

On a GPU the defaults are 224 x 224 images in batches of 64. On the CPU they are tiny (64 x 64,
batches of 8, a few steps) so that the script finishes in seconds: those numbers show that the
code runs, not how fast fine-tuning is, and CPU ratios say nothing about a GPU.
"""
from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
import torchvision
from torch import nn


@dataclass(frozen=True)
class Variant:
    name: str
    bf16: bool = False
    channels_last: bool = False
    host: str | None = None      # None: batches on the device; "pageable" or "pinned"


VARIANTS = [
    Variant("fp32"),
    Variant("bf16 autocast", bf16=True),
    Variant("channels_last", channels_last=True),
    Variant("bf16 + channels_last", bf16=True, channels_last=True),
    Variant("host batches, pageable", host="pageable"),
    Variant("host batches, pinned", host="pinned"),
]


def pick_device() -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def build(num_classes: int, full: bool, device: torch.device, channels_last: bool) -> nn.Module:
    model = torchvision.models.resnet18(weights=None)
    if not full:
        model.requires_grad_(False)
    model.fc = nn.Linear(512, num_classes)
    model = model.to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    return model.train()


def run(variant: Variant, args, device: torch.device) -> float | str:
    """Images per second for one variant, or the reason it cannot run here."""
    if variant.host == "pinned" and device.type != "cuda":
        return "needs CUDA (pinned memory)"
    torch.manual_seed(0)
    model = build(args.num_classes, args.full, device, variant.channels_last)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    shape = (args.batch_size, 3, args.image_size, args.image_size)
    memory_format = torch.channels_last if variant.channels_last else torch.contiguous_format
    labels = torch.randint(0, args.num_classes, (args.batch_size,))
    if variant.host is None:
        images = torch.randn(shape, device=device).contiguous(memory_format=memory_format)
        labels = labels.to(device)
    else:
        images = torch.randn(shape)
        if variant.host == "pinned":
            images, labels = images.pin_memory(), labels.pin_memory()
    non_blocking = variant.host == "pinned"

    def step() -> None:
        x, y = images, labels
        if variant.host is not None:
            x = x.to(device, non_blocking=non_blocking).contiguous(memory_format=memory_format)
            y = y.to(device, non_blocking=non_blocking)
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=variant.bf16):
            loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()

    try:
        for _ in range(args.warmup):
            step()
        synchronize(device)
        start = time.perf_counter()
        for _ in range(args.steps):
            step()
        synchronize(device)
    except RuntimeError as exc:   # e.g. bf16 autocast unsupported on this device
        return f"unsupported here ({str(exc).splitlines()[0][:60]})"
    return args.steps * args.batch_size / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best found)")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--image-size", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None, help="timed steps per variant")
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps per variant")
    parser.add_argument("--num-classes", type=int, default=5)
    parser.add_argument("--full", action="store_true", help="train every layer, not only fc")
    parser.add_argument("--only", action="append", default=None,
                        help="run only the variants whose name contains this (repeatable)")
    args = parser.parse_args(argv)
    device = torch.device(args.device) if args.device else pick_device()
    on_cpu = device.type == "cpu"
    defaults = dict(batch_size=8, image_size=64, steps=3, warmup=1) if on_cpu else \
        dict(batch_size=64, image_size=224, steps=20, warmup=5)
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)

    name = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    print(f"fine-tuning ResNet18 ({'every layer' if args.full else 'fc only, backbone frozen'})"
          f" on {name}: batch {args.batch_size}, {args.image_size} px,"
          f" {args.steps} timed steps after {args.warmup} warm-up steps; torch {torch.__version__}")
    if on_cpu:
        print("note: running on the CPU with tiny sizes. This checks that the script works; the"
              " numbers are not GPU fine-tuning speeds. Use --device cuda on a GPU machine.")
    variants = [v for v in VARIANTS if not args.only or any(o in v.name for o in args.only)]
    if variants and variants[0].name != "fp32":
        variants.insert(0, VARIANTS[0])       # the baseline every ratio refers to
    baseline = None
    print(f"{'variant':24} {'images/s':>10} {'vs fp32':>8}")
    for variant in variants:
        result = run(variant, args, device)
        if isinstance(result, str):
            print(f"{variant.name:24} {'-':>10} {'-':>8}  {result}")
            continue
        if baseline is None and variant.name == "fp32":
            baseline = result
        ratio = f"{result / baseline:7.2f}x" if baseline else "-"
        print(f"{variant.name:24} {result:10.1f} {ratio:>8}")


if __name__ == "__main__":
    main()
