"""Resumable runs: a CNN continues from its last finished epoch, `bench run --resume DIR` continues a killed run
(the refiner from its checkpoint, each CNN from its epoch) and ends with the records of a run never stopped, and a
preempted SLURM cell (submitit's local executor) is requeued and continues from its checkpoint, not from step 0."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import submitit
import torch
from click.testing import CliRunner
from test_run import _eyes

from gazebench.cli.main import cli
from gazebench.core.errors import Preempted
from gazebench.data import write_own_format
from gazebench.estimators import cnn as cnn_module
from gazebench.estimators.cnn import GazeCNN
from gazebench.harness import records, sweep
from gazebench.harness import run as run_module
from gazebench.harness.run import RunConfig

CPU = torch.device("cpu")
TINY_CNN = dict(GazeCNN.TINY_SETTINGS, epochs=3)
# Every number a run measures; what it took (seconds, memory) and where it ran are left out of the comparison.
NOT_MEASURED = ("seconds", "refiner_seconds", "run_seconds", "stage_seconds", "peak_rss_mb")


class Killed(Exception):
    """Stands in for kill -9 at a chosen point: nothing after it runs."""


def _kill_after_epoch(monkeypatch, epochs_done):
    real_save = cnn_module.save_progress

    def save_then_die(path, identity, done, parts, generator):
        real_save(path, identity, done, parts, generator)
        if done.epochs_done == epochs_done:
            raise Killed(f"killed after epoch {done.epochs_done}")

    monkeypatch.setattr(cnn_module, "save_progress", save_then_die)


def _tiny_fit(checkpoint, images, gaze):
    model = GazeCNN(preset="cpu", seed=4, **TINY_CNN)
    model.checkpoint_path = checkpoint
    model.fit(images, gaze, device=CPU, progress=False)
    return model.predict(images, device=CPU)


def test_a_cnn_killed_after_an_epoch_resumes_to_the_weights_of_an_uninterrupted_fit(tmp_path, monkeypatch):
    images = torch.rand(96, 1, 35, 55) * 2 - 1
    gaze = np.random.default_rng(0).uniform(-0.3, 0.3, (96, 2)).astype(np.float32)
    whole = _tiny_fit(None, images, gaze)
    checkpoint = tmp_path / "cnn.pt"
    with monkeypatch.context() as patch:
        _kill_after_epoch(patch, 1)
        with pytest.raises(Killed):
            _tiny_fit(checkpoint, images, gaze)
    epochs_run = []
    real_save = cnn_module.save_progress
    monkeypatch.setattr(cnn_module, "save_progress", lambda path, identity, done, *rest: (epochs_run.append(done.epochs_done), real_save(path, identity, done, *rest)))
    assert np.array_equal(_tiny_fit(checkpoint, images, gaze), whole)
    assert epochs_run == [2, 3]  # epoch 1 was not trained again
    # A checkpoint of other labels is not resumed, and a truncated one is set aside: both train from the start.
    with pytest.warns(UserWarning, match="other settings or images"):
        _tiny_fit(checkpoint, images, gaze[::-1].copy())
    checkpoint.write_bytes(checkpoint.read_bytes()[:100])
    with pytest.warns(UserWarning, match="unreadable epoch checkpoint"):
        assert np.array_equal(_tiny_fit(checkpoint, images, gaze), whole)


@pytest.mark.parametrize("signalled_at", [5, 6, 9], ids=["mid-epoch", "epoch-end", "last-step"])
def test_a_stop_signal_during_cnn_training_saves_that_step_and_resume_equals_an_uninterrupted_fit(tmp_path, monkeypatch, signalled_at):
    images = torch.rand(96, 1, 35, 55) * 2 - 1  # 3 steps per epoch, 3 epochs
    gaze = np.random.default_rng(0).uniform(-0.3, 0.3, (96, 2)).astype(np.float32)
    whole = _tiny_fit(None, images, gaze)
    checkpoint = tmp_path / "cnn.pt"
    before = signal.getsignal(signal.SIGTERM)
    with monkeypatch.context() as patch:
        steps = []
        real_augment = cnn_module.augment

        def signalled(*args):  # the signal arrives while step `signalled_at` runs; that step still finishes
            steps.append(len(steps) + 1)
            if len(steps) == signalled_at:
                os.kill(os.getpid(), signal.SIGTERM)
            return real_augment(*args)

        patch.setattr(cnn_module, "augment", signalled)
        with pytest.raises(Preempted, match=f"SIGTERM received: gaze CNN training stopped after step {signalled_at} of 9 "):
            _tiny_fit(checkpoint, images, gaze)
    assert signal.getsignal(signal.SIGTERM) == before
    saved = torch.load(checkpoint, weights_only=True)
    assert (saved["epochs_done"], saved["steps_done"]) == divmod(signalled_at, 3)
    assert np.array_equal(_tiny_fit(checkpoint, images, gaze), whole)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    synthetic = write_own_format(folder / "synthetic.npz", *_eyes(500, seed=1))
    real = write_own_format(folder / "real.npz", *_eyes(200, seed=2))
    return f"npz:{synthetic}", f"npz:{real}"


def _run_args(tiny_data, out, steps=4):
    synthetic, real = tiny_data
    tiny_refiner = {"refiner_channels": 8, "refiner_blocks": 1, "batch_size": 8, "pretrain_refiner_steps": 2,
                    "pretrain_discriminator_steps": 2, "adversarial_steps": steps, "history_size": 8, "checkpoint_every": 2}
    sets = [f"simgan_local.{k}={v}" for k, v in tiny_refiner.items()]
    sets += ["cnn.channels=[4,4,8,8,16]", "cnn.fc_hidden=32", "cnn.epochs=2", "cnn.batch_size=32", "run.n_realism=60",
             "run.n_test=100"]
    return ["run", "--refiner", "simgan_local", "--estimator", "cnn", "--estimator", "knn", "--synthetic", synthetic,
            "--real", real, "--n-synthetic", "300", "--device", "cpu", "--no-calibration", "--out", str(out),
            *[arg for s in sets for arg in ("--set", s)]]


def _measured(run_dir):
    return [{k: v for k, v in r.items() if k not in NOT_MEASURED}
            for r in json.loads((Path(run_dir) / records.METRICS_FILE).read_text())]


@pytest.mark.slow
def test_a_killed_run_resumes_where_it_stopped_and_equals_an_uninterrupted_run(tiny_data, tmp_path, monkeypatch):
    whole = CliRunner().invoke(cli, _run_args(tiny_data, tmp_path / "whole"))
    assert whole.exit_code == 0, whole.output
    with monkeypatch.context() as patch:  # killed after the refiner and the CNN trained, before the references
        patch.setattr(run_module, "stage_references", lambda *a, **k: (_ for _ in ()).throw(Killed("killed")))
        killed = CliRunner().invoke(cli, _run_args(tiny_data, tmp_path / "killed"))
    assert isinstance(killed.exception, Killed)
    (run_dir,) = records.find_run_dirs(tmp_path / "killed")
    assert not records.is_done(run_dir) and (run_dir / records.CHECKPOINTS_DIR / "method_cnn.pt").is_file()
    epochs_run = []
    real_save = cnn_module.save_progress
    monkeypatch.setattr(cnn_module, "save_progress", lambda path, identity, done, *rest: (epochs_run.append(path.name), real_save(path, identity, done, *rest)))
    resumed = CliRunner().invoke(cli, ["run", "--resume", str(run_dir)])
    assert resumed.exit_code == 0, resumed.output
    assert "continued from its checkpoint at step 8" in resumed.output  # 2 + 2 + 4 steps: nothing left to train
    assert "method_cnn.pt" not in epochs_run  # the method CNN had finished: loaded, not trained again
    assert records.is_done(run_dir) and not (run_dir / records.CHECKPOINTS_DIR).exists()
    (whole_dir,) = records.find_run_dirs(tmp_path / "whole")
    assert _measured(run_dir) == _measured(whole_dir)
    # Resuming again, a finished run, other settings beside --resume, a folder from before --resume: one sentence each.
    again = CliRunner().invoke(cli, ["run", "--resume", str(run_dir)])
    assert again.exit_code == 2 and "finished already" in again.output
    mixed = CliRunner().invoke(cli, ["run", "--resume", str(run_dir), "--seed", "3"])
    assert mixed.exit_code == 2 and "drop --seed" in mixed.output
    config = json.loads((run_dir / records.CONFIG_FILE).read_text())
    del config["request"]
    records.write_json(run_dir / records.CONFIG_FILE, config)
    old = CliRunner().invoke(cli, ["run", "--resume", str(run_dir)])
    assert old.exit_code == 2 and "before --resume" in old.output and "Traceback" not in old.output


@pytest.mark.slow
def test_bench_run_stopped_by_sigterm_during_cnn_training_resumes_to_the_uninterrupted_records(tiny_data, tmp_path):
    synthetic, real = tiny_data
    # 200 epochs of 9 steps: the signal lands mid-training whatever the machine's speed.
    sets = ["cnn.channels=[4,4,8,8,16]", "cnn.fc_hidden=32", "cnn.epochs=200", "cnn.batch_size=32", "run.n_test=100"]
    args = ["run", "--refiner", "identity", "--estimator", "cnn", "--synthetic", synthetic, "--real", real, "--n-synthetic",
            "300", "--device", "cpu", "--no-calibration", "--no-realism", *[a for s in sets for a in ("--set", s)]]
    process = subprocess.Popen([sys.executable, "-m", "gazebench.cli.main", *args, "--out", str(tmp_path / "stopped")],
                               env={**os.environ, "OMP_NUM_THREADS": "1"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob(f"stopped/*/{records.CHECKPOINTS_DIR}/method_cnn.pt")):  # its first epoch is saved
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr
    (run_dir,) = records.find_run_dirs(tmp_path / "stopped")
    message = stderr.strip().splitlines()[-1]
    assert message.startswith("stopped: SIGTERM received: gaze CNN training stopped after step ") and \
        message.endswith(f"Run `bench run --resume {run_dir}` to continue."), message
    saved = torch.load(run_dir / records.CHECKPOINTS_DIR / "method_cnn.pt", weights_only=True)
    assert 9 <= saved["epochs_done"] * 9 + saved["steps_done"] < 1800
    resumed = CliRunner().invoke(cli, ["run", "--resume", str(run_dir)])
    assert resumed.exit_code == 0, resumed.output
    whole = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "whole")])
    assert whole.exit_code == 0, whole.output
    (whole_dir,) = records.find_run_dirs(tmp_path / "whole")
    assert _measured(run_dir) == _measured(whole_dir)


def _children(pid):
    """Processes whose parent is pid (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="finds the cell's process through Linux /proc")
def test_a_preempted_slurm_cell_saves_its_current_step_is_requeued_and_continues_from_that_step(tiny_data, tmp_path):
    synthetic, real = tiny_data
    base = RunConfig(refiner="simgan_local", estimators=("knn",), synthetic=synthetic, real=real, n_synthetic=300,
                     device="cpu", references=False, realism=False, calibration=False, out=str(tmp_path),
                     settings={"simgan_local": {"refiner_channels": 8, "refiner_blocks": 1, "batch_size": 8,
                                                "pretrain_refiner_steps": 2, "pretrain_discriminator_steps": 2,
                                                "adversarial_steps": 200, "history_size": 8, "grid_every": 1,
                                                # no periodic checkpoint before the end: only the signal can save one
                                                "checkpoint_every": 1000}})
    cells = sweep.expand(base, ["simgan_local"], [0])
    (key, job), = sweep.submit_slurm(cells, tmp_path, partition=None, time_min=10, cpus=1, gpus=0, array_parallelism=1,
                                     cluster="local").items()
    grid = None
    deadline = time.monotonic() + 240
    while grid is None and time.monotonic() < deadline:  # a state, not a time: the refiner's first step is done
        grid = next(iter(tmp_path.glob("*/refiner/grids/*.png")), None)
        time.sleep(0.1)
    assert grid is not None, "the cell's refiner never finished a step"
    # What SLURM sends a job's processes before preempting it or at its time limit (submitit's USR2), sent to the
    # cell's process: submitit's local controller forwards only SIGTERM.
    for pid in _children(job._process.pid):
        os.kill(pid, submitit.JobEnvironment._usr_sig())
    job.result()
    log = (tmp_path / sweep.LOGS_DIR / f"{key}.log").read_text()
    resumed_at = [int(line.rsplit(" ", 1)[-1]) for line in log.splitlines() if "continued from its checkpoint at step" in line]
    assert resumed_at and 0 < resumed_at[0] < 204  # requeued, and the refiner went on from the step it was at
    assert len(records.find_run_dirs(tmp_path)) == 1 and sweep.cell_states(tmp_path, [cells[0][0]]) == {key: "done"}
    assert not (tmp_path / sweep.FAILED_DIR).exists()  # a requeue is not a failure
