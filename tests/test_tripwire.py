"""The refusals in the learner's process (grader/tripwire.py): every route to a forbidden
operation meets a refusal, in the learner's own thread or any other, and names the learner's line.

Each case runs in a fresh forked process, as the learner's process does: the refusals are
installed once there and never undone.
"""
from __future__ import annotations

import os
import pickle
import signal
import textwrap
import warnings

import pytest
import torch
import torchvision  # noqa: F401 - imported before the refusals, as in the sandbox's warm worker

from grader.courses import default as default_course
from grader.tripwire import Guard, plan

MANIFEST = default_course().manifest

LEARNER = textwrap.dedent('''
    import threading
    import torch
    import torch.nn.functional as F

    def via_getattr(x, w):
        return getattr(F, "con" + "v2d")(x, w)

    def via_eval(x, w):
        return eval("__import__('torch').nn.functional.conv2d")(x, w)

    def via_ops(x, w):
        return torch.ops.aten.convolution(x, w, None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1)

    def via_module(x, w):
        m = torch.nn.modules.conv.Conv2d(2, 3, 3, bias=False)
        return m(x)

    def via_disabled(x, w):
        with torch._C.DisableTorchFunction():
            return F.conv2d(x, w)

    def via_thread(x, w):
        out = []
        t = threading.Thread(target=lambda: out.append(F.conv2d(x, w)))
        t.start(); t.join()
        return out[0]

    def via_other_library(x, w):
        import torchvision
        offset = torch.zeros(x.shape[0], 2 * 9, x.shape[2] - 2, x.shape[3] - 2)
        return torchvision.ops.deform_conv2d(x, offset, w)

    def via_other_file_name(x, w):
        namespace = {"F": F, "x": x, "w": w}
        exec(compile("out = F.conv2d(x, w)", "/usr/lib/python3/innocent.py", "exec"), namespace)
        return namespace["out"]

    def via_subprocess(x, w):
        import subprocess
        return subprocess.run(["true"])

    def by_hand(x, w):
        patches = x.unfold(2, 3, 1).unfold(3, 3, 1)
        return torch.einsum("nchwuv,ocuv->nohw", patches, w)

    def by_autograd(x):
        y = (x * x).sum()
        y.backward()
        return x.grad

    def by_graph_walk(x):
        y = (x * x).sum()
        return y.grad_fn(torch.tensor(1.0))

    def cell_by_subclass_walk(h):
        cls = next(c for c in torch.nn.Module.__subclasses__()[0].__subclasses__() if c.__name__ == "RNNCell") \\
            if False else [c for c in torch.nn.modules.rnn.RNNCellBase.__subclasses__() if c.__name__ == "RNN" + "Cell"][0]
        return cls(4, 4)(h)

    def pool_by_roi(x):
        import torchvision
        return torchvision.ops.roi_pool(x, torch.tensor([[0, 0, 0, 3, 3.0]]), 2)

    def linear(x, W, b):
        return F.linear(x, W, b)

    def matmul(x, W, b):
        return x @ W.T + b

    def matmul_in_thread(x, W, b):
        out = []
        t = threading.Thread(target=lambda: out.append(x @ W.T + b))
        t.start(); t.join()
        return out
''')
X, W = torch.randn(1, 2, 6, 6), torch.randn(3, 2, 3, 3)


def line_of(text: str) -> int:
    return next(i + 1 for i, line in enumerate(LEARNER.splitlines()) if text in line)


def guarded(tmp_path, exercise: str, function: str, *args):
    """(what the call raised or None, the hits) in a fresh process with the exercise's refusals."""
    path = tmp_path / "learner.py"
    path.write_text(LEARNER)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            # as the learner's process does: the parent's intra-op threads did not survive the fork
            # (an OpenMP pool left behind waits forever), and a hang fails this case, not the suite
            torch.set_num_threads(1)
            signal.alarm(60)
            guard = Guard(MANIFEST.get(exercise).forbid, path).install()
            namespace = {"__name__": "learner"}
            exec(compile(LEARNER, str(path), "exec"), namespace)
            error = None
            with warnings.catch_warnings(), guard.watching():
                warnings.simplefilter("ignore")
                try:
                    namespace[function](*args)
                except Exception as exc:  # noqa: BLE001 - what the learner sees
                    error = f"{type(exc).__name__}: {exc}"
            os.write(write_fd, pickle.dumps((error, [(h.name, h.line) for h in guard.hits])))
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    assert data, f"the case's process ended with {os.waitstatus_to_exitcode(status)} and no answer"
    return pickle.loads(data)


@pytest.mark.parametrize("route,text", [
    ("via_getattr", 'getattr(F, "con"'),
    ("via_eval", "return eval("),
    ("via_ops", "torch.ops.aten.convolution"),
    ("via_module", "m = torch.nn.modules.conv.Conv2d"),
    ("via_disabled", "return F.conv2d"),
    ("via_other_library", "torchvision.ops.deform_conv2d"),
])
def test_every_route_to_a_convolution_is_refused_at_the_learners_line(tmp_path, route, text):
    error, hits = guarded(tmp_path, "conv2d", route, X, W)
    assert error is not None and "is not allowed in this exercise" in error
    assert hits and hits[0][1] == line_of(text)


def test_a_thread_and_code_under_another_file_name_are_refused(tmp_path):
    _, hits = guarded(tmp_path, "conv2d", "via_thread", X, W)  # refused in the thread itself
    assert hits == [("torch.ops.aten.conv2d", line_of("target=lambda: out.append(F.conv2d"))]
    error, hits = guarded(tmp_path, "conv2d", "via_other_file_name", X, W)
    assert "not allowed" in error and hits[0][0].startswith("torch.ops.aten.conv")
    assert hits[0][1] == line_of("innocent.py")  # the learner's frame below the exec'd code


def test_a_new_program_is_refused(tmp_path):
    error, hits = guarded(tmp_path, "conv2d", "via_subprocess", X, W)
    assert "a new program" in error and hits


def test_a_thread_in_a_numpy_exercise_runs_under_the_same_refusals(tmp_path):
    _, hits = guarded(tmp_path, "feed_forward", "matmul_in_thread", torch.ones(1, 1), torch.ones(1, 1), torch.ones(1))
    assert hits and hits[0][1] == line_of("target=lambda: out.append(x @ W.T")


def test_legitimate_library_use_is_not_refused(tmp_path):
    assert guarded(tmp_path, "conv2d", "by_hand", X, W) == (None, [])
    assert guarded(tmp_path, "modules", "matmul", torch.randn(2, 3), torch.randn(4, 3), torch.randn(4)) == (None, [])
    assert guarded(tmp_path, "modules", "by_autograd", torch.randn(3, requires_grad=True)) == (None, [])


def test_autograd_is_refused_in_a_hand_written_backward_exercise(tmp_path):
    error, hits = guarded(tmp_path, "conv2d_backward", "by_autograd", torch.randn(3, requires_grad=True))
    assert "autograd" in error and hits[0][1] == line_of("y.backward()")
    error, hits = guarded(tmp_path, "conv2d_backward", "by_graph_walk", torch.randn(3, requires_grad=True))
    assert "grad_fn" in error and hits[0][1] == line_of("y.grad_fn(")


def test_recurrent_cells_pooling_and_linear(tmp_path):
    error, hits = guarded(tmp_path, "rnn", "cell_by_subclass_walk", torch.randn(1, 4))
    assert error and hits[0][1] == line_of("return cls(4, 4)(h)")
    error, hits = guarded(tmp_path, "pooling", "pool_by_roi", torch.randn(1, 1, 4, 4))
    assert error and hits[0][0] == "torch.ops.torchvision.roi_pool"
    error, hits = guarded(tmp_path, "modules", "linear", torch.randn(2, 3), torch.randn(4, 3), torch.randn(4))
    assert error and hits[0][1] == line_of("F.linear")


def test_the_plan_comes_from_the_manifest_patterns():
    assert not plan(MANIFEST.get("linear_regression_autograd").forbid).any
    conv = plan(MANIFEST.get("conv2d").forbid)
    assert any(f.matches("convolution") and f.matches("deform_conv2d") for f in conv.families)
    assert not any(f.matches("_convert_indices_from_coo_to_csr") for f in conv.families)
    modules = plan(MANIFEST.get("modules").forbid)
    assert any(f.matches("linear") for f in modules.families)
    assert not any(f.matches("addmm") or f.matches("upsample_bilinear2d") for f in modules.families)
    assert plan(MANIFEST.get("conv2d_backward").forbid).autograd
    assert plan(MANIFEST.get("feed_forward").forbid).everything
    assert any(f.matches("nms") for f in plan(MANIFEST.get("boxes").forbid).families)


def test_lifted_refusals_come_back_by_every_route(tmp_path):
    """A detector's forward pass runs torchvision's NMS with the refusals lifted (Guard.lifted);
    afterwards the function, its saved alias and the operator refuse again."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            torch.set_num_threads(1)
            signal.alarm(60)
            import torchvision
            guard = Guard(MANIFEST.get("boxes").forbid, tmp_path / "learner.py").install()
            alias, boxes = torchvision.ops.nms, torch.tensor([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 2.0, 2.1]])
            routes = {"function": lambda: torchvision.ops.nms(boxes, torch.tensor([0.9, 0.8]), 0.5),
                      "alias": lambda: alias(boxes, torch.tensor([0.9, 0.8]), 0.5),
                      "operator": lambda: torch.ops.torchvision.nms(boxes, torch.tensor([0.9, 0.8]), 0.5),
                      "box_iou": lambda: torchvision.ops.box_iou(boxes, boxes)}

            def outcomes():
                seen = {}
                for name, route in routes.items():
                    try:
                        seen[name] = route().tolist()
                    except RuntimeError as exc:
                        seen[name] = "refused" if "is not allowed in this exercise" in str(exc) else str(exc)
                return seen
            before = outcomes()
            with guard.lifted():
                during = outcomes()
            os.write(write_fd, pickle.dumps((before, during, outcomes())))
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    assert data, "the case's process gave no answer"
    before, during, after = pickle.loads(data)
    assert before == after == {name: "refused" for name in before}
    assert during["function"] == during["alias"] == during["operator"] == [0]
    assert len(during["box_iou"]) == 2


def test_a_refusal_in_a_forked_process_is_recorded_where_the_verdict_is_made(tmp_path):
    """The forked process closes every descriptor it inherited before the forbidden call: its
    refusal still reaches the learner's process's hits (shared memory, not a pipe)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            torch.set_num_threads(1)
            signal.alarm(60)
            guard = Guard(MANIFEST.get("conv2d").forbid, tmp_path / "learner.py").install()
            grandchild = os.fork()
            if grandchild == 0:
                os.closerange(3, 1024)
                try:
                    torch.nn.functional.conv2d(X, W)
                finally:
                    os._exit(0)
            os.waitpid(grandchild, 0)
            os.write(write_fd, pickle.dumps([(h.name, h.line) for h in guard.take_hits()]))
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    assert data, "the case's process gave no answer"
    hits = pickle.loads(data)
    assert len(hits) == 1 and "conv" in hits[0][0], hits
