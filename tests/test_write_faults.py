"""Writes the machine refuses (a full disk, a read-only folder): one sentence and exit 2, the previous file kept,
nothing half-written left behind or counted as done. The faults are simulated, as root ignores permissions."""

import errno
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from gazebench.cli.main import cli
from gazebench.core.atomic import write_atomic, write_bytes_atomic
from gazebench.harness import records

RUN = ["run", "--refiner", "identity", "--estimator", "knn", "--synthetic", "sim?n={n}&seed={seed}", "--real",
       "sim?n=400&style=appearance&seed=100000", "--n-synthetic", "200", "--no-references", "--no-realism",
       "--no-calibration", "--oracle", "none", "--device", "cpu"]


def _fail(monkeypatch, method: str, where, code: int, message: str) -> None:
    """Make Path.<method> raise OSError(code) for the paths `where` picks, as the machine would."""
    original = getattr(Path, method)

    def failing(self, *args, **kwargs):
        if where(self):
            raise OSError(code, message, str(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, method, failing)


def test_a_failed_atomic_write_keeps_the_previous_file_and_leaves_no_temporary(tmp_path):
    target = write_bytes_atomic(tmp_path / "metrics.json", b"old")

    def full_disk(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp))

    with pytest.raises(OSError):
        write_atomic(target, full_disk)
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["metrics.json"]


def test_a_full_disk_while_a_run_writes_its_records_is_one_sentence_and_nothing_counts_as_done(tmp_path, monkeypatch):
    _fail(monkeypatch, "write_text", lambda path: path.name.startswith(".metrics.json"), errno.ENOSPC, "No space left on device")
    result = CliRunner().invoke(cli, [*RUN, "--out", str(tmp_path / "runs")])
    assert result.exit_code == 2, result.output
    assert "error: No space left on device in " in result.output and "Traceback" not in result.output
    (run_dir,) = records.find_run_dirs(tmp_path / "runs")
    assert not records.is_done(run_dir) and not (run_dir / "metrics.json").exists()
    assert not [name for name in os.listdir(run_dir) if name.startswith(".")]  # no temporary left


def test_a_read_only_output_folder_is_one_sentence(tmp_path, monkeypatch):
    read_only = tmp_path / "read_only"
    _fail(monkeypatch, "mkdir", lambda path: path == read_only or read_only in path.parents, errno.EROFS, "Read-only file system")
    result = CliRunner().invoke(cli, [*RUN, "--out", str(read_only / "runs")])
    assert result.exit_code == 2, result.output
    assert "error: Read-only file system in " in result.output and "Traceback" not in result.output
