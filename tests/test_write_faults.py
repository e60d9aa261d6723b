"""Writes the machine refuses (a full disk, a read-only folder): one sentence and exit 2, the previous file kept
(the last whole refiner checkpoint too, which --resume continues from), nothing half-written left behind or counted
as done. The faults are simulated, as root ignores permissions."""

import errno
import os
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from test_refiner_preemption import tiny_refine_inputs

from gazebench.cli.main import cli
from gazebench.core.atomic import write_atomic, write_bytes_atomic
from gazebench.harness import records
from gazebench.harness.refine import train_refiner_from_specs
from gazebench.refiners.curves import LOG_FILE, read_log
from gazebench.refiners.registry import load_refiner

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


def test_a_full_disk_while_a_refiner_checkpoint_is_written_keeps_the_last_one_and_resume_ends_as_uninterrupted(tmp_path, monkeypatch):
    specs, sizes = tiny_refine_inputs(tmp_path, checkpoint_every=2)
    args = ["refine", "--refiner", "simgan_local", "--synthetic", specs["synthetic"], "--real", specs["real"], "--device", "cpu",
            "--seed", "3", "--steps", "6", "--out", str(tmp_path / "run"), *[f"--set=simgan_local.{k}={v}" for k, v in sizes.items()]]
    saves, real_save = [], torch.save

    def disk_full_at_the_third_checkpoint(state, path, *rest, **kwargs):
        if Path(path).name.startswith(".checkpoint.pt"):
            saves.append(state["step"])
            if len(saves) == 3:
                Path(path).write_bytes(b"half a checkpoint")
                raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_save(state, path, *rest, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(torch, "save", disk_full_at_the_third_checkpoint)
        failed = CliRunner().invoke(cli, args)
    assert failed.exit_code == 2 and "error: No space left on device in " in failed.output and "Traceback" not in failed.output
    assert saves == [2, 4, 6]
    assert torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)["step"] == 4  # the last whole one
    assert not [name for name in os.listdir(tmp_path / "run") if name.startswith(".")]  # no temporary left
    resumed = CliRunner().invoke(cli, [*args, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    train_refiner_from_specs("simgan_local", specs["synthetic"], specs["real"], tmp_path / "whole", steps=6, device="cpu",
                             seed=3, progress=False, **sizes)
    resumed_refiner, whole_refiner = load_refiner(tmp_path / "run"), load_refiner(tmp_path / "whole")
    for part in ("refiner_net", "discriminator"):
        for (key, x), y in zip(getattr(resumed_refiner, part).state_dict().items(), getattr(whole_refiner, part).state_dict().values()):
            assert torch.equal(x, y), key
    assert [row["step"] for row in read_log(tmp_path / "run" / LOG_FILE)] == list(range(1, 11))
