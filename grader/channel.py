"""The one-way event channel from a grading child to its parent.

Events (grader/events.py) travel as JSON objects, one per line, on a plain pipe. JSON, never
pickle: the child runs the learner's code, and unpickling what it wrote could run code in the
grader. The parent reads without ever blocking (a half-written record cannot stall it past its
deadline), drops lines that are not well-formed events or are longer than any real one, and says
when that happened.

Pipes are opened and children forked under one lock, and each child closes every pipe and
terminal it inherited but its own write end: with `--jobs N`, one submission cannot write into
another's channel, nor past the output capture into the grader's terminal or CI log.
"""
from __future__ import annotations

import os
import select
import stat
import threading

from . import events as ev

RECORD_LIMIT = 4 * 2**20  # bytes in one record; a longer line is garbage, not a result
FORK_LOCK = threading.Lock()  # held while opening a pipe and while forking
_open_pipes: set[int] = set()  # every pipe end this process holds for a child


def open_pipe() -> tuple[int, int]:
    """(read end, write end); call with FORK_LOCK held."""
    read_fd, write_fd = os.pipe()
    _open_pipes.update((read_fd, write_fd))
    return read_fd, write_fd


def close(fd: int, *, locked: bool = False) -> None:
    """Close a pipe end; `locked`: the caller already holds FORK_LOCK."""
    if not locked:
        with FORK_LOCK:
            return close(fd, locked=True)
    _open_pipes.discard(fd)
    try:
        os.close(fd)
    except OSError:
        pass


def keep_only(*keep: int) -> None:
    """In a child: close every inherited pipe and socket but stdio and `keep`. No other attempt's
    pipe or socket stays open in it (with `--jobs N`, a judge holding another attempt's socket would
    keep that learner's process from ever seeing its judge go). Regular files stay: objects the
    child inherited still read through them (a zipped course's archive), and a child that is not
    sandboxed could open them by name anyway."""
    for fd in _inherited_fds() - set(keep):
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                continue
            os.close(fd)
        except OSError:
            pass


def _inherited_fds() -> set[int]:
    try:
        return {int(name) for name in os.listdir("/proc/self/fd")} - {0, 1, 2}
    except OSError:
        return set(range(3, 256)) | _open_pipes


def send(write_fd: int, event: ev.Event) -> None:
    write_line(write_fd, ev.to_json(event))


def write_line(fd: int, line: str) -> None:
    data = memoryview((line + "\n").encode())
    while data:
        data = data[os.write(fd, data):]


class Reader:
    """Collects complete events from the read end; `eof` once the child's end is closed."""

    def __init__(self, read_fd: int) -> None:
        self.fd, self.buffer, self.eof, self.garbled = read_fd, bytearray(), False, False

    def drain(self) -> list[ev.Event]:
        """Whatever is already in the pipe (the child has ended)."""
        records: list[ev.Event] = []
        while not self.eof and select.select([self.fd], [], [], 0)[0]:
            records += self.poll(0)
        return records

    def drain_lines(self, limit: int = RECORD_LIMIT) -> list[bytes]:
        """Complete lines already in the pipe, at most about `limit` bytes (a process that keeps
        the write end open cannot keep the reader here)."""
        lines: list[bytes] = []
        taken = 0
        while not self.eof and taken < limit and select.select([self.fd], [], [], 0)[0]:
            more = self.lines(0)
            taken += sum(len(line) for line in more) + 1
            lines += more
        return lines

    def poll(self, timeout: float) -> list[ev.Event]:
        return self.decode(self.lines(timeout))

    def lines(self, timeout: float) -> list[bytes]:
        """Complete raw lines (a worker relays them unread)."""
        if self.eof or not select.select([self.fd], [], [], timeout)[0]:
            return []
        chunk = os.read(self.fd, 1 << 16)
        if not chunk:
            self.eof = True
        self.buffer += chunk
        *lines, rest = self.buffer.split(b"\n")
        self.buffer = bytearray(rest)
        if len(self.buffer) > RECORD_LIMIT:
            self.buffer.clear()
            self.garbled = True
        return [line for line in lines if line]

    def decode(self, lines: list[bytes]) -> list[ev.Event]:
        events = []
        for line in lines:
            try:
                events.append(ev.from_json(line))
            except ev.EventError:
                self.garbled = True
        return events
