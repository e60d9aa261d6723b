"""kill -9 at random points of `bench refine`, `bench run` and `bench sweep`: each job is killed several times, at
points drawn by a seeded generator over its uninterrupted duration, and started again after each kill; what it
finally writes equals what an uninterrupted job writes (the refiner's weights, the run's records, the sweep's tables).

The points are drawn in time because a kill -9 gives no warning: wherever it lands (mid-step, mid-write, between two
files), the assertions are the same, so the test is not timed. A point past the job's end only finishes it early.
Every job runs as its own process with one thread (the tests' own process has one: conftest), as float sums in
another thread count differ in the last bit."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from test_refiner_preemption import tiny_refine_inputs
from test_resume import _measured, _run_args
from test_run import _eyes
from test_sweep import TINY as TINY_SWEEP

from gazebench.cli.main import cli
from gazebench.data import write_own_format
from gazebench.harness import records
from gazebench.refiners.registry import load_refiner

pytestmark = pytest.mark.slow
KILLS = 3
BENCH = [sys.executable, "-m", "gazebench.cli.main"]
REPO = Path(__file__).resolve().parents[1]
ONE_THREAD = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _bench(args) -> None:
    """`bench ARGS` to its end, in its own process."""
    done = subprocess.run([*BENCH, *args], cwd=REPO, env=ONE_THREAD, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def _timed(args) -> float:
    """Seconds an uninterrupted `bench ARGS` takes here (the span the kill points are drawn over)."""
    started = time.monotonic()
    _bench(args)
    return time.monotonic() - started


def _killed_after(args, seconds: float) -> bool:
    """Start `bench ARGS` and kill -9 its whole process group after `seconds`; False if it ended first."""
    process = subprocess.Popen([*BENCH, *args], cwd=REPO, env=ONE_THREAD, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        process.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return True


def _kill_points(seed: int, span: float) -> list[float]:
    return list(np.random.default_rng(seed).uniform(0.05, 0.95, KILLS) * span)


def test_bench_refine_killed_at_random_points_ends_with_the_uninterrupted_weights(tmp_path):
    specs, sizes = tiny_refine_inputs(tmp_path, checkpoint_every=3)
    args = ["refine", "--refiner", "simgan_local", "--synthetic", specs["synthetic"], "--real", specs["real"], "--device", "cpu", "--seed", "3", "--steps", "30",
            *[f"--set=simgan_local.{k}={v}" for k, v in sizes.items()]]
    span = _timed([*args, "--out", str(tmp_path / "whole")])
    stopped_at = []  # the checkpoint each kill left, for the failure message
    for seconds in _kill_points(1, span):  # each start after the first continues whatever checkpoint there is
        _killed_after([*args, "--out", str(tmp_path / "killed"), "--resume"], seconds)
        checkpoint = tmp_path / "killed" / "checkpoint.pt"
        stopped_at.append(torch.load(checkpoint, weights_only=True)["step"] if checkpoint.is_file() else None)
    _bench([*args, "--out", str(tmp_path / "killed"), "--resume"])
    killed, whole = load_refiner(tmp_path / "killed"), load_refiner(tmp_path / "whole")
    assert killed.step == whole.step == 34
    for part in ("refiner_net", "discriminator"):
        for (key, x), y in zip(getattr(killed, part).state_dict().items(), getattr(whole, part).state_dict().values()):
            assert torch.equal(x, y), f"{key} differs after kills that left checkpoints at steps {stopped_at}"


def test_bench_run_killed_at_random_points_and_resumed_ends_with_the_uninterrupted_records(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    tiny = (f"npz:{write_own_format(data / 'synthetic.npz', *_eyes(500, seed=1))}",
            f"npz:{write_own_format(data / 'real.npz', *_eyes(200, seed=2))}")
    span = _timed(_run_args(tiny, tmp_path / "whole", steps=8))
    out = tmp_path / "killed"
    for seconds in _kill_points(2, span):
        started = [d for d in (records.find_run_dirs(out) if out.is_dir() else []) if (d / records.CONFIG_FILE).is_file()]
        _killed_after(["run", "--resume", str(started[0])] if started else _run_args(tiny, out, steps=8), seconds)
    started = [d for d in records.find_run_dirs(out) if (d / records.CONFIG_FILE).is_file()]
    assert len(started) == 1  # every restart continued the one folder
    if not records.is_done(started[0]):
        _bench(["run", "--resume", str(started[0])])
    (whole,) = records.find_run_dirs(tmp_path / "whole")
    assert _measured(started[0]) == _measured(whole)


def test_bench_sweep_killed_at_random_points_ends_with_the_uninterrupted_tables(tmp_path, tmp_path_factory):
    args = ["sweep", *TINY_SWEEP, "--refiner", "gaussian", "--seeds", "0-1"]
    whole = tmp_path_factory.mktemp("uninterrupted")  # outside tmp_path: tables read every run folder below theirs
    span = _timed([*args, "--out", str(whole)])
    for seconds in _kill_points(3, span):
        _killed_after([*args, "--out", str(tmp_path)], seconds)
    _bench([*args, "--out", str(tmp_path)])
    tables = [CliRunner().invoke(cli, ["table", str(folder), "--table", "all"]) for folder in (tmp_path, whole)]
    assert all(t.exit_code == 0 for t in tables) and "gaussian" in tables[0].stdout
    assert tables[0].stdout == tables[1].stdout
