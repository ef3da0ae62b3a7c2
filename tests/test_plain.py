"""plain(): a learner's result as exact built-in values, whatever hooks it carries."""
import numpy as np
import pytest
import torch

from grader.checks.helpers import Feedback, assert_close, check_array, check_float
from grader.checks.plain import PlainError, plain


class AlwaysEqual(list):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False


class Agreeing(torch.Tensor):
    """Answers every torch function with the other operand, or True."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        others = [a for a in args if type(a) is torch.Tensor]
        return others[0] if others else True

    def detach(self):
        return torch.ones(3)


class FakeArray:
    """Claims to be an ndarray and answers __array__ with ones."""

    @property
    def __class__(self):
        return np.ndarray

    def __array__(self, dtype=None, copy=None):
        return np.ones(3)


def test_built_in_values_are_kept_and_containers_copied():
    nested = {"a": [1, 2.5, (True, None)], "b": "text"}
    out = plain(nested)
    assert out == nested and out is not nested and out["a"] is not nested["a"]
    assert plain(torch.Size([2, 3])) == (2, 3) and type(plain(torch.Size([2, 3]))) is tuple
    assert type(plain(np.float32(1.5))) is np.float32 and plain(np.float32(1.5)) == 1.5


def test_arrays_and_tensors_are_copied():
    a = np.arange(3.0)
    got = plain(a)
    assert type(got) is np.ndarray and got is not a and (got == a).all()
    p = torch.nn.Parameter(torch.arange(3.0))
    t = plain(p)
    assert type(t) is torch.Tensor and not t.requires_grad and torch.equal(t, p.detach())


def test_a_list_that_always_agrees_is_refused():
    with pytest.raises(PlainError, match="returned a .*AlwaysEqual where"):
        plain(AlwaysEqual([1]), "tokenize(text)")
    with pytest.raises(PlainError, match="AlwaysEqual"):
        plain([[AlwaysEqual()]], "vocab")


def test_a_tensor_subclass_is_stripped_of_its_hooks():
    x = torch.zeros(3).as_subclass(Agreeing)
    assert torch.equal(torch.isclose(x, torch.ones(3)), torch.ones(3))  # the hook answers for x
    t = plain(x)
    assert type(t) is torch.Tensor and torch.equal(t, torch.zeros(3))
    with pytest.raises(Feedback, match="3 of 3 entries disagree"):
        assert_close(x, torch.ones(3), "max_pool2d(x)")


def test_an_object_faking_its_class_is_refused():
    fake = FakeArray()
    assert isinstance(fake, np.ndarray)  # isinstance is fooled; type() is not
    with pytest.raises(PlainError, match="FakeArray where a tensor"):
        plain(fake)
    with pytest.raises(AssertionError, match="FakeArray"):
        assert_close(fake, np.ones(3), "predict(x)")
    with pytest.raises(AssertionError, match="FakeArray where an np.ndarray"):
        check_array(fake, "predict(x)", shape=(3,))


def test_object_arrays_and_array_subclasses_are_refused():
    with pytest.raises(PlainError, match="dtype object"):
        plain(np.array([AlwaysEqual()], dtype=object))
    with pytest.raises(PlainError, match="where"):
        plain(np.ma.masked_array([1.0]))


def test_check_float_sees_through_nothing():
    class Number(float):
        def __eq__(self, other):
            return True
    with pytest.raises(AssertionError, match="Number where a number"):
        check_float(Number(1.0), "loss")
    assert check_float(np.float64(2.0), "loss") == 2.0


def test_deep_nesting_is_refused():
    deep = []
    for _ in range(50):
        deep = [deep]
    with pytest.raises(PlainError, match="nested"):
        plain(deep)
