"""The boundary between the judge and the learner's process: plain data only, and what the
learner's process does decides only what its own functions return.

- grader/wire.py: every plain value survives the trip; anything else is refused, never run;
- grader/learner.py + grader/judge.py: a real learner's process, forked as kata forks it, called
  through a Learner: functions, handles, callbacks, arrays changed in place, deadlines, errors.
"""
from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from grader import wire
from grader.jobs import LearnerJob
from grader.judge import Connection, Learner, LearnerError, LearnerGone, code
from grader.learner import main as learner_main

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def round_trip(value, *, judge_side=True):
    encoder = wire.Encoder(lambda obj: (_ for _ in ()).throw(TypeError(type(obj).__name__)))
    header = {"v": encoder.value(value)}
    a, b = socket.socketpair()
    with a, b:
        wire.send(a, header, encoder.buffers)
        got, buffers = wire.receive(b)
    return wire.Decoder(buffers).value(got["v"])


# --- the wire -------------------------------------------------------------------------------------

def test_plain_values_survive_the_trip():
    value = {"n": 3, "x": 2.5, "nan": float("nan"), "inf": -math.inf, "s": "é", "none": None, "b": b"\x00\xff",
             "t": (1, [2, (3,)]), 4: {"set": {1, 2}}, "sl": slice(1, None, 2), "e": ...}
    got = round_trip(value)
    assert got["t"] == (1, [2, (3,)]) and got[4] == {"set": {1, 2}} and got["sl"] == slice(1, None, 2)
    assert math.isnan(got["nan"]) and got["inf"] == -math.inf and got["b"] == b"\x00\xff" and got["e"] is ...


@pytest.mark.parametrize("dtype", ["bool", "int8", "int64", "uint8", "float16", "float32", "float64", "complex128"])
def test_arrays_keep_dtype_shape_values_and_read_only(dtype):
    array = (np.arange(24).reshape(2, 3, 4) % 3).astype(dtype)[:, ::2]  # not contiguous
    got = round_trip(array)
    assert got.dtype == array.dtype and got.shape == array.shape and np.array_equal(got, array)
    frozen = np.ones(3)
    frozen.flags.writeable = False
    assert not round_trip(frozen).flags.writeable
    assert round_trip(np.float32(1.5)) == np.float32(1.5) and type(round_trip(np.int64(3))) is np.int64


def test_tensors_keep_dtype_shape_grad_flag_and_parameters():
    t = torch.arange(12, dtype=torch.float32).reshape(3, 4).t()  # not contiguous
    got = round_trip(t)
    assert got.dtype == t.dtype and torch.equal(got, t)
    assert round_trip(torch.ones(2, requires_grad=True)).requires_grad
    assert type(round_trip(torch.nn.Parameter(torch.ones(2)))) is torch.nn.Parameter
    assert round_trip(torch.zeros(0, 3)).shape == (0, 3)
    assert round_trip(torch.ones(2, 1, 1).expand(2, 3, 1)).shape == (2, 3, 1)
    assert round_trip(torch.ones(1, dtype=torch.bfloat16)).dtype == torch.bfloat16
    assert round_trip(torch.float64) is torch.float64 and round_trip(torch.device("cpu")) == torch.device("cpu")


def test_a_random_generator_travels_as_a_copy_of_its_state():
    g = np.random.default_rng(5)
    copy = round_trip(g)
    assert copy.standard_normal(3).tolist() == np.random.default_rng(5).standard_normal(3).tolist()


@pytest.mark.parametrize("tag", [
    {"a": 0, "dt": "object", "sh": [1]},            # a dtype that could hold objects
    {"a": 0, "dt": "float64", "sh": [5]},           # the data does not match the shape
    {"a": 7, "dt": "float64", "sh": [1]},           # no such buffer
    {"T": 0, "dt": "float32", "sh": [-1]},          # a negative size
    {"code": "import os; os._exit(3)", "name": "f"},  # code is accepted only in the learner's process
    {"r": 1},                                        # handles only where the decoder has a table
    {"pickle": "gASVAAAAAAAAAH0u"},                  # no such tag
    {"f": "1e309"},                                  # a float tag that is not nan or inf
])
def test_the_judge_refuses_what_is_not_plain_data(tag):
    with pytest.raises(wire.WireError):
        wire.Decoder([b"\x00" * 8]).value(tag)


def test_deep_nesting_and_huge_headers_are_refused():
    nested = []
    for _ in range(wire.DEPTH_LIMIT + 5):
        nested = [nested]
    with pytest.raises(wire.WireError):
        wire.Decoder([]).value(nested)
    a, b = socket.socketpair()
    with a, b:
        a.sendall((wire.HEADER_LIMIT + 1).to_bytes(8, "big"))
        with pytest.raises(wire.WireError):
            wire.receive(b)


def test_the_job_schema_round_trips():
    job = LearnerJob("/kata/work/1/x.py", "exercises/x.py", "kata_submission_x", ("torch",), 512, 2)
    assert LearnerJob.from_dict(job.to_dict()) == job
    with pytest.raises(ValueError):
        LearnerJob.from_dict(["not", "a", "dict"])


# --- a real learner's process ---------------------------------------------------------------------

LEARNER = textwrap.dedent('''
    import os, sys, time
    import numpy as np
    import pytest

    def double(x):
        return x * 2

    def in_place(a):
        a += 1
        return a

    def calls_back(f, x):
        return f(x) + 1

    def skips():
        pytest.skip("nothing to see")

    def raises_value_error():
        raise ValueError("bad value")

    def stub():
        raise NotImplementedError

    def huge_message():
        raise RuntimeError("x" * 300_000)

    def exits():
        os._exit(0)

    def spins():
        while True:
            pass

    def writes_garbage():
        os.write(3, b"not a message")

    class Counter:
        def __init__(self, start):
            self.value = start

        def bump(self):
            self.value += 1
            return self.value
''')


def snippet_square_grad(x):
    x = x.detach().clone().requires_grad_(True)
    (x * x).sum().backward()
    return x.grad


@pytest.fixture
def learner(tmp_path):
    path = tmp_path / "learner.py"
    path.write_text(LEARNER)
    out = tmp_path / "out.txt"
    out.write_text("")
    ours, theirs = socket.socketpair()
    job = LearnerJob(str(path), "learner.py", "kata_submission_test")
    pid = os.fork()
    if pid == 0:
        ours.close()
        learner_main(theirs.detach(), job, str(out))
    theirs.close()
    connection = Connection(ours)
    assert connection.request("load") == {"output": "", "error": None}
    connection.request("begin")
    yield Learner(connection)
    connection.close()
    os.kill(pid, 9)
    os.waitpid(pid, 0)


def test_functions_handles_and_snippets(learner):
    assert np.array_equal(learner.double(np.arange(3)), [0, 2, 4])
    counter = learner.Counter(5)
    assert counter.bump() == 6 and counter.value == 6
    counter.value = 10
    assert counter.bump() == 11
    assert learner.isinstance(counter, learner.Counter) and repr(counter) == "<your Counter>"
    assert torch.equal(learner.run(snippet_square_grad, torch.tensor([1.0, 3.0])), torch.tensor([2.0, 6.0]))


def test_callbacks_run_in_the_judge_on_plain_data(learner):
    seen = []

    def reference(x):
        seen.append(type(x))
        return x * 10
    assert learner.calls_back(reference, 4) == 41 and seen == [int]


def test_arrays_changed_in_place_are_changed_for_the_caller_and_returned_as_themselves(learner):
    a = np.zeros(3)
    returned = learner.in_place(a)
    assert a.tolist() == [1.0, 1.0, 1.0] and returned is a


def test_the_learners_exceptions_arrive_as_their_own_type_with_their_traceback(learner):
    with pytest.raises(ValueError) as caught:
        learner.raises_value_error()
    assert isinstance(caught.value, LearnerError) and "bad value" in caught.value.traceback
    assert 'File "learner.py"' in caught.value.traceback and caught.value.line is not None
    with pytest.raises(NotImplementedError):
        learner.stub()
    with pytest.raises(LearnerError) as caught:
        learner.huge_message()
    assert len(caught.value.message) < 5000


def test_a_skip_raised_by_the_learner_is_an_error_not_a_skip(learner):
    with pytest.raises(LearnerError) as caught:
        learner.skips()
    assert not isinstance(caught.value, pytest.skip.Exception) and caught.value.type_name == "Skipped"


def test_a_deadline_stops_a_call_that_runs_too_long(learner):
    with pytest.raises(LearnerError) as caught:
        with learner.within(0.3):
            learner.spins()
    assert caught.value.deadline
    assert learner.double(2) == 4  # the process answers again


def test_a_learner_process_that_exits_or_breaks_the_protocol_is_gone(learner):
    with pytest.raises(LearnerGone):
        learner.exits()


def test_hits_and_output_come_back_at_the_end_of_a_check(learner):
    ended = learner._kata_conn.request("end")
    assert ended == {"output": "", "hits": []}


def test_the_learners_process_refuses_forbidden_work_in_every_thread(tmp_path):
    """End to end through kata: a convolution in a thread is refused and named."""
    source = textwrap.dedent('''
        import threading
        import torch
        import torch.nn.functional as F

        def conv2d(x, weight, bias=None, stride=1, padding=0):
            out = []
            hidden = getattr(F, "con" + "v2d")  # no name for the static scan to read
            t = threading.Thread(target=lambda: out.append(hidden(x, weight, bias, stride, padding)))
            t.start()
            t.join()
            return out[0]
    ''')
    path = tmp_path / "conv2d.py"
    path.write_text(source)
    script = textwrap.dedent(f'''
        from grader import api
        from grader.courses import default
        course = default()
        spec = course.manifest.get("conv2d")
        (result,) = api.grade_pairs([(spec, {str(path)!r}, "conv2d.py")], course=course, sandbox="none")
        print(result.score)
        print(next(c for c in result.checks if c.name == "uses_only_allowed_apis").message)
    ''')
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=300)
    score, message = done.stdout.split("\n", 1)
    assert float(score) == 0, done.stdout + done.stderr
    assert "torch.ops.aten.conv2d (line 9)" in message, message  # in the thread
    assert "reached while your code ran" in message


def test_the_plugin_runs_checks_against_a_learner_process_under_plain_pytest(tmp_path):
    checks = tmp_path / "checks" / "00_demo"
    checks.mkdir(parents=True)
    (checks / "test_demo.py").write_text(textwrap.dedent('''
        import pytest
        from grader.checks.helpers import assert_close

        @pytest.mark.points(2)
        def test_double(sub):
            assert_close(sub.double(3.0), 6.0, "double(3)")

        def test_skips_are_the_learners_errors(sub):
            sub.skips()
    '''))
    learner_file = tmp_path / "learner.py"
    learner_file.write_text(LEARNER)
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "grader.plugin", str(checks / "test_demo.py"),
                           "--kata-file", str(learner_file), "-p", "no:cacheprovider", "-q"],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert "passed   2/2  double" in done.stdout
    assert "error    0/1  skips_are_the_learners_errors" in done.stdout
    assert "score 2/3" in done.stdout


def test_every_check_module_of_the_course_runs_in_the_judge():
    """No check module runs its checks in the learner's process: none is left to port."""
    from grader.courses import default
    course = default()
    for spec in course.manifest:
        assert "IN_LEARNER_PROCESS" not in course.check_module(spec).read_text(), spec.id
    assert code(snippet_square_grad).name == "snippet_square_grad"
