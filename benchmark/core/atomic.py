"""Atomic file writes: the one place that writes through a temporary name and renames.

Readers (and `bench table`) then see either the old file or the whole new one, never half a file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomic(path: str | os.PathLike, write: Callable[[Path], None], *, suffix: str = ".tmp") -> Path:
    """Call write(temporary_path) in path's folder, then rename onto path; the temporary goes on failure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_bytes(data))


def copy_folder_atomic(source: str | os.PathLike, target: str | os.PathLike) -> bool:
    """Copy a folder to `target` through a temporary name and one rename, so readers that test whether `target`
    exists never see half of it; False, and nothing changed, where another writer got there first."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        shutil.copytree(source, tmp, dirs_exist_ok=True)
        os.rename(tmp, target)  # fails where target exists (POSIX: a non-empty folder)
        return True
    except OSError:
        if target.is_dir():
            return False
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
