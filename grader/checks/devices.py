"""The judge's side of the device checks: feedback from what a device replay recorded.

Without a GPU, grader/simdevice.py replays a GPU's rules on the CPU in the learner's process (a
check's snippet runs the learner's function under `simdevice.Simulated()` on
`simdevice.HostBatches` and returns `Simulated.facts()`); `verdict` turns those facts into
feedback. On a GPU, checks marked requires("cuda") run for real and `same_device_error` turns
the GPU's error into the same feedback.
"""
from __future__ import annotations

from grader.checks.helpers import Feedback


def verdict(facts: dict, what: str) -> None:
    """Feedback for what would have failed on a GPU (the facts of `Simulated.facts()`), if anything."""
    mixed = [str(op) for op in facts.get("mixed") or []]
    if mixed:
        ops = ", ".join(sorted(set(mixed))[:4])
        raise Feedback(
            f"{what} used a batch that was never moved to the device: a tensor still in host "
            f"memory met the model's weights or its outputs in {ops}. On a GPU this fails with "
            "'expected all tensors to be on the same device'. Likely mistake: the batch is not "
            "moved to device; move inputs and targets with .to(device) before using them "
            "(or bring the predictions back with .cpu() before comparing them with targets "
            "that stayed on the host).")
    if facts.get("numpy_on_device") is True:
        raise Feedback(f"{what} called .numpy() on a tensor on the device; on a GPU this fails "
                       "('can't convert cuda tensor to numpy'). Bring it back first: "
                       "tensor.cpu().numpy(), or use .item() / .tolist().")


def same_device_error(exc: BaseException, what: str) -> Feedback | None:
    """The feedback for an error a real GPU raised when host and device tensors met, else None."""
    # A LearnerError carries the learner's message apart; its str() repeats the type's name.
    text = getattr(exc, "message", None) or str(exc)
    low = text.lower()
    # "Expected all tensors to be on the same device", "Input type (torch.FloatTensor) and weight
    # type (torch.cuda.FloatTensor) should be the same", "can't convert cuda:0 device type tensor
    # to numpy": the wordings differ between operations and torch versions.
    if isinstance(exc, (RuntimeError, TypeError)) and ("same device" in low or "cuda" in low and any(
            word in low for word in ("cpu", "numpy", "floattensor", "should be the same", "device type"))):
        return Feedback(f"{what} failed on a GPU with {type(exc).__name__}: {text.splitlines()[0]} "
                        "Likely mistake: the batch is not moved to device; move inputs and targets "
                        "with .to(device) before using them, and bring results back with .cpu() "
                        "before comparing them with host tensors.")
    return None


def on_gpu(what: str, call):
    """call() on a real GPU, with the device error it may raise turned into feedback."""
    try:
        return call()
    except (RuntimeError, TypeError) as exc:
        feedback = same_device_error(exc, what)
        if feedback is None:
            raise
        raise feedback from None
