"""The static scan behind the manifest's `forbid` lists."""
import torch  # noqa: F401 - the grading process has imported the libraries before it scans
import torchvision  # noqa: F401

from grader.forbid import scan


def names(source, patterns):
    return [(v.name, v.line) for v in scan(source, patterns)]


def test_aliases_are_resolved():
    src = "import torch.nn.functional as F\nfrom torch.nn import functional\ny = F.conv2d(x, w)\nz = functional.conv2d(x, w)\n"
    assert names(src, ["torch.nn.functional.conv*"]) == [("torch.nn.functional.conv2d", 3),
                                                        ("torch.nn.functional.conv2d", 4)]


def test_a_pattern_covers_what_is_below_it():
    src = "import torch\nopt = torch.optim.SGD([w], lr=0.1)\n"
    assert names(src, ["torch.optim"]) == [("torch.optim.SGD", 2)]


def test_imports_are_caught():
    assert names("import torch\n", ["torch"]) == [("torch", 1)]
    assert names("from torch.optim import SGD\n", ["torch.optim"]) == [("torch.optim.SGD", 1)]
    assert names("import numpy as np\nimport torchvision\n", ["torch"]) == []


def test_method_patterns_skip_self():
    src = "def f(x):\n    return x.softmax(1)\nclass A:\n    def g(self, x):\n        return self.softmax(x)\n"
    assert names(src, [".softmax"]) == [("softmax", 2)]


def test_allowed_code_passes():
    src = "import torch\ny = torch.exp(x) / torch.exp(x).sum(dim=1, keepdim=True)\nz = x.unfold(2, 3, 1)\n"
    assert names(src, ["torch.nn", "torch.softmax", ".softmax", "torch.nn.functional.conv*"]) == []


def test_syntax_errors_are_left_to_the_import_check():
    assert scan("def f(:\n", ["torch"]) == []


# --- names resolved to what they denote ---------------------------------------------------------

def test_re_exports_and_module_paths_are_caught_by_identity():
    conv = ["torch.nn.Conv*", "torch.nn.functional.conv*"]
    assert names("from torch.nn.modules import Conv2d\n", conv) == [("torch.nn.modules.Conv2d", 1)]
    assert names("import torch.nn as nn\nc = nn.modules.conv.Conv2d(1, 1, 3)\n", conv) == [
        ("torch.nn.modules.conv.Conv2d", 2)]
    linear = ["torch.nn.Linear", "torch.nn.functional.linear"]
    assert names("from torch.nn.modules.linear import Linear\n", linear) == [
        ("torch.nn.modules.linear.Linear", 1)]
    assert names("import torch\ny = torch._C._nn.linear(x, w)\n", linear) == [("torch._C._nn.linear", 2)]


def test_a_module_pattern_covers_its_exports_and_what_it_defines():
    assert [v.pattern for v in scan("from torch.func import vjp\n", ["torch.func"])] == ["torch.func"]
    assert names("import torch.nn.grad as g\ny = g.conv2d_input(s, w, o)\n", ["torch.nn.grad"]) == [
        ("torch.nn.grad", 1), ("torch.nn.grad.conv2d_input", 2)]
    src = "from torchvision.models.detection.roi_heads import box_ops\nkeep = box_ops.nms(b, s, 0.5)\n"
    found = scan(src, ["torchvision.ops.nms"])
    assert [(v.name, v.line) for v in found] == [("torchvision.models.detection.roi_heads.box_ops.nms", 2)]


def test_case_does_not_hide_a_name():
    pools = ["torch.nn.*Pool*"]
    assert names("import torch.nn.functional as F\ny = F.max_pool2d(x, 2)\n", pools) == [
        ("torch.nn.functional.max_pool2d", 2)]
    assert names("from torch.nn.modules.pooling import MaxPool2d\n", pools) == [
        ("torch.nn.modules.pooling.MaxPool2d", 1)]
    assert names("import torch\ny = torch.nn.functional.Conv2D\n", ["torch.nn.functional.conv*"]) == [
        ("torch.nn.functional.Conv2D", 2)]


def test_constant_strings_name_things_too():
    src = "import torch\nconv = getattr(torch.nn.functional, 'conv2d')\nt = __import__('torch')\n"
    assert names(src, ["torch.nn.functional.conv*"]) == [("torch.nn.functional.conv2d", 2)]
    assert names("import importlib\nm = importlib.import_module('torch')\n", ["torch"]) == [("torch", 2)]


def test_legitimate_library_use_resolves_to_allowed_objects():
    src = ("import torch\nimport torch.nn.functional as F\nwith torch.no_grad():\n"
           "    y = torch.zeros(3) @ torch.ones(3, 2) + F.pad(x, (1, 1))\n")
    assert names(src, ["torch.autograd", "torch.nn.Conv*", "torch.*pool*", "torch.nn.functional.conv*"]) == []


def test_resolution_imports_no_learner_module():
    import sys
    src = "import kata_learner_helper\nkata_learner_helper.conv2d(x)\nimport antigravity\n"
    assert names(src, ["torch.nn.functional.conv*"]) == []
    assert "kata_learner_helper" not in sys.modules and "antigravity" not in sys.modules


def test_the_scan_never_imports_what_the_source_names(tmp_path, monkeypatch):
    """A never-called import of a module that exits (or hangs) when imported is only text to the
    scan: the grading process must not run it (it used to end `kata batch` for the whole class)."""
    import sys
    trap = tmp_path / "kata_exits_when_imported.py"
    trap.write_text("import os\nos._exit(7)\n")
    (tmp_path / "numpy_submodule_trap.py").write_text("raise SystemExit(3)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    source = ("import torch\n"
              "def never_called():\n"
              "    import kata_exits_when_imported\n"
              "    from numpy_submodule_trap import x\n"
              "    import torch.utils.bottleneck.__main__\n"
              "    return torch.nn.functional.conv2d\n")
    found = scan(source, ["torch.nn.functional.conv*"])
    assert [v.name for v in found] == ["torch.nn.functional.conv2d"]
    assert "kata_exits_when_imported" not in sys.modules and "torch.utils.bottleneck.__main__" not in sys.modules


def test_source_nested_past_any_reader_is_graded_not_refused():
    """A never-run 1 200-term expression: the scan gives up on it quietly (the refusals in the
    learner's process still hold) instead of failing the whole exercise."""
    source = "def never_called(x):\n    return " + " + ".join(["x"] * 1200) + "\n"
    assert scan(source, ["torch.nn.functional.conv*"]) == []
