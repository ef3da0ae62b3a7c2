"""The event channel: well-formed event lines only, never blocking, and no child keeps another's pipe."""
from __future__ import annotations

import os

from grader import channel
from grader import events as ev


def _pipe():
    with channel.FORK_LOCK:
        return channel.open_pipe()


def test_records_round_trip_and_garbage_is_dropped():
    read_fd, write_fd = _pipe()
    reader = channel.Reader(read_fd)
    channel.send(write_fd, ev.Start("add"))
    os.write(write_fd, b"not json\n[1, 2]\n" + b'{"type": "outcome", "na')  # garbage, a list, half a record
    assert reader.poll(1) == [ev.Start("add")]
    assert reader.garbled
    os.write(write_fd, b'me": "add", "outcome": "passed"}\n')
    assert reader.poll(1) == [ev.Outcome("add", "passed")]
    channel.close(write_fd)
    assert reader.drain() == [] and reader.eof
    channel.close(read_fd)


def test_a_line_longer_than_any_record_is_dropped_without_waiting_for_its_end():
    read_fd, write_fd = _pipe()
    reader = channel.Reader(read_fd)
    os.set_blocking(write_fd, False)
    junk = b"x" * (1 << 16)
    written = 0
    while written <= channel.RECORD_LIMIT:
        try:
            written += os.write(write_fd, junk)
        except BlockingIOError:
            reader.poll(0)
    while reader.poll(0) or len(reader.buffer):
        if reader.garbled:
            break
    assert reader.garbled and len(reader.buffer) <= channel.RECORD_LIMIT
    assert reader.poll(0.01) == []  # nothing complete, and it returned
    channel.close(write_fd)
    channel.close(read_fd)


def test_a_child_closes_every_pipe_but_its_own():
    mine_r, mine_w = _pipe()
    other_r, other_w = _pipe()
    with channel.FORK_LOCK:
        pid = os.fork()
    if pid == 0:  # the child: report which of the write ends it still holds
        channel.keep_only(mine_w)
        status = 0
        for fd, should_be_open in ((mine_w, True), (other_w, False), (other_r, False), (mine_r, False)):
            try:
                os.fstat(fd)
                is_open = True
            except OSError:
                is_open = False
            status = status * 2 + (is_open != should_be_open)
        os._exit(status)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the child kept a pipe end it should have closed"
    for fd in (mine_r, mine_w, other_r, other_w):
        channel.close(fd)
