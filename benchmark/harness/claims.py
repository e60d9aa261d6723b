"""Per-cell claims of a sweep folder: two sweeps into one folder (two terminals, a resubmitted array beside the
old one) must not run the same cell.

A claim is an exclusive `flock` on `locks/<cell>.lock`, held by the process that runs the cell for as long as it
runs. The OS drops the lock when that process dies (kill -9, preemption, a crashed node's local processes), so a
claim never outlives its holder and nothing has to clean stale locks up. While held, the file names the holder
(host, pid, start time) for `bench sweep --status`; the holder empties it before letting go. Lock files stay:
deleting a flock'ed file races with a process that has just opened it.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path

LOCKS_DIR = "locks"


def lock_path(out: Path, key: str) -> Path:
    return Path(out) / LOCKS_DIR / f"{key}.lock"


class Claim:
    """A held claim on one cell; release() (or the holder's death) frees it."""

    def __init__(self, fd: int, path: Path):
        self.fd, self.path = fd, path

    def release(self) -> None:
        if self.fd < 0:
            return
        os.ftruncate(self.fd, 0)  # no holder named once free; still ours until closed
        os.close(self.fd)  # closing the last descriptor of the open file drops the flock
        self.fd = -1

    def __enter__(self) -> Claim:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def try_claim(out: Path, key: str) -> Claim | None:
    """Claim the cell `key` for this process, or None if a live process holds it."""
    path = lock_path(out, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    holder = {"host": socket.gethostname(), "pid": os.getpid(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(holder) + "\n").encode(), 0)
    return Claim(fd, path)


def holder(out: Path, key: str) -> dict | None:
    """Who holds the cell `key` ({host, pid, started}; {} if it has not written them yet), or None if it is free.

    The probe takes a shared lock for an instant, which fails while anyone holds the exclusive one; a sweep that
    tries to claim in that instant skips the cell, and the next start runs it."""
    path = lock_path(out, key)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.pread(fd, 4096, 0).decode(errors="replace")
            try:
                return json.loads(text)
            except json.JSONDecodeError:  # the holder is between taking the lock and naming itself
                return {}
        return None  # closing below drops the probe's shared lock
    finally:
        os.close(fd)


def describe(info: dict) -> str:
    """'held by host pid 123 since 2026-...' for --status and the sweep's messages."""
    if not info:
        return "held (holder not yet named)"
    return f"held by {info.get('host', '?')} pid {info.get('pid', '?')} since {info.get('started', '?')}"
