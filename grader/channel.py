"""The one-way record channel from a grading child to its parent.

Records are JSON objects, one per line, on a plain pipe. JSON, never pickle: the child runs the
learner's code, and unpickling what it wrote could run code in the grader. The parent reads
without ever blocking (a half-written record cannot stall it past its deadline), drops lines that
are not JSON objects or are longer than any real record, and says when that happened.

Pipes are opened and children forked under one lock, and each child closes every pipe and
terminal it inherited but its own write end: with `--jobs N`, one submission cannot write into
another's channel, nor past the output capture into the grader's terminal or CI log.
"""
from __future__ import annotations

import json
import os
import select
import stat
import threading

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


def keep_only(write_fd: int) -> None:
    """In the child: close every inherited pipe and terminal but its own write end, so the
    learner's code can reach neither another child's channel nor the grader's own output."""
    for fd in _inherited_fds() - {write_fd}:
        try:
            mode = os.fstat(fd).st_mode
            if stat.S_ISFIFO(mode) or os.isatty(fd):
                os.close(fd)
        except OSError:
            pass


def _inherited_fds() -> set[int]:
    try:
        return {int(name) for name in os.listdir("/proc/self/fd")} - {0, 1, 2}
    except OSError:
        return set(range(3, 256)) | _open_pipes


def send(write_fd: int, record: dict) -> None:
    data = memoryview((json.dumps(record, default=str) + "\n").encode())
    while data:
        data = data[os.write(write_fd, data):]


class Reader:
    """Collects complete records from the read end; `eof` once the child's end is closed."""

    def __init__(self, read_fd: int) -> None:
        self.fd, self.buffer, self.eof, self.garbled = read_fd, bytearray(), False, False

    def drain(self) -> list[dict]:
        """Whatever is already in the pipe (the child has ended)."""
        records: list[dict] = []
        while not self.eof and select.select([self.fd], [], [], 0)[0]:
            records += self.poll(0)
        return records

    def poll(self, timeout: float) -> list[dict]:
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
        records = []
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if isinstance(record, dict):
                records.append(record)
            else:
                self.garbled = True
        return records
