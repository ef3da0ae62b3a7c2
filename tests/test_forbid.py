"""The static scan behind the manifest's `forbid` lists."""
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
