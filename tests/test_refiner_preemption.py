"""SIGTERM/SIGUSR1 during refiner training (SLURM's preemption and time limit): the current step ends, a checkpoint
is saved, the job stops with one line, and --resume ends with the weights of an uninterrupted run."""

import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from test_refiners_training import CPU, TINY, eye_like

from gazebench.cli.main import cli
from gazebench.core.errors import Preempted
from gazebench.harness.refine import train_refiner_from_specs
from gazebench.refiners.curves import LOG_FILE, read_log
from gazebench.refiners.registry import create_refiner, load_refiner

REPO = Path(__file__).resolve().parents[1]


def _same_weights(a, b):
    for mine, theirs in [(a.refiner_net, b.refiner_net), (a.discriminator, b.discriminator)]:
        for (key, x), y in zip(mine.state_dict().items(), theirs.state_dict().values()):
            assert torch.equal(x, y), key


@pytest.mark.slow  # 3.5-6 s each on a loaded 2-core machine (two tiny trainings with curves and TensorBoard)
@pytest.mark.parametrize("signum", [pytest.param(signal.SIGTERM, id="SIGTERM"), pytest.param(signal.SIGUSR1, id="SIGUSR1")])
def test_a_stop_signal_saves_the_current_step_and_resume_equals_an_uninterrupted_run(tmp_path, monkeypatch, signum):
    synthetic, real = eye_like(24, 0, 0.0), eye_like(24, 1, 0.3)
    settings = dict(TINY, pretrain_refiner_steps=2, pretrain_discriminator_steps=2, adversarial_steps=6, history_size=6, seed=5)
    whole = create_refiner("simgan_local", **settings)
    whole.fit(synthetic, real, device=CPU, out_dir=tmp_path / "whole", progress=False)

    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGUSR1)}
    stopped = create_refiner("simgan_local", **settings)
    real_step = stopped.train_step

    def signalled_during_step_6(*args):
        if stopped.step == 5:  # the signal arrives while step 6 runs; step 6 still finishes
            os.kill(os.getpid(), signum)
        return real_step(*args)

    monkeypatch.setattr(stopped, "train_step", signalled_during_step_6)
    with pytest.raises(Preempted, match=f"{signal.Signals(signum).name} received: .* after step 6 of 10") as info:
        stopped.fit(synthetic, real, device=CPU, out_dir=tmp_path / "run", progress=False)
    assert info.value.signum == signum
    assert {s: signal.getsignal(s) for s in before} == before  # the caller's handlers are back
    assert torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)["step"] == 6  # not the last checkpoint_every (4)

    resumed = create_refiner("simgan_local", **settings)
    resumed.fit(synthetic, real, device=CPU, out_dir=tmp_path / "run", resume=True, progress=False)
    assert resumed.step == whole.step == 10
    _same_weights(resumed, whole)
    assert [row["step"] for row in read_log(tmp_path / "run" / LOG_FILE)] == list(range(1, 11))


def test_preempted_reads_as_its_message_and_survives_a_process_boundary():
    exc = pickle.loads(pickle.dumps(Preempted("stopped at step 6.", signal.SIGTERM)))
    assert str(exc) == "stopped at step 6." and exc.signum == signal.SIGTERM


def test_without_a_checkpoint_folder_signals_are_left_alone(monkeypatch):
    refiner = create_refiner("simgan_local", **TINY, pretrain_refiner_steps=1, pretrain_discriminator_steps=1, adversarial_steps=1)
    seen = []
    monkeypatch.setattr(refiner, "train_step", lambda *a: seen.append(signal.getsignal(signal.SIGTERM)) or {"images": 8})
    refiner.fit(eye_like(8, 0, 0.0), eye_like(8, 1, 0.1), device=CPU, progress=False)
    assert seen == [signal.getsignal(signal.SIGTERM)] * 3


def tiny_refine_inputs(folder, checkpoint_every):
    """Synthetic and real npz specs of 32 random eyes each in folder, and a tiny simgan_local's sizes."""
    rng = np.random.default_rng(0)
    specs = {}
    for name in ("synthetic", "real"):
        np.savez(folder / f"{name}.npz", images=rng.integers(0, 256, size=(32, 36, 60), dtype=np.uint8),
                 gaze=np.zeros((32, 2), dtype=np.float32))
        specs[name] = f"npz:{folder / name}.npz"
    sizes = dict(refiner_channels=8, refiner_blocks=1, batch_size=8, pretrain_refiner_steps=2, pretrain_discriminator_steps=2,
                 history_size=6, checkpoint_every=checkpoint_every, grid_every=1000)
    return specs, sizes


@pytest.mark.slow
def test_bench_refine_stopped_by_sigterm_resumes_to_the_uninterrupted_weights(tmp_path):
    specs, sizes = tiny_refine_inputs(tmp_path, checkpoint_every=4)
    sets = [f"--set=simgan_local.{key}={value}" for key, value in sizes.items()]
    common = ["refine", "--refiner", "simgan_local", "--synthetic", specs["synthetic"], "--real", specs["real"],
              "--device", "cpu", "--seed", "3", *sets]
    out = tmp_path / "run"
    # Far more steps than it will run: the signal lands mid-training whatever the machine's speed.
    process = subprocess.Popen([sys.executable, "-m", "gazebench.cli.main", *common, "--out", str(out), "--steps", "100000"],
                               cwd=REPO, env={**os.environ, "OMP_NUM_THREADS": "1"}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (out / "checkpoint.pt").is_file():  # training is under way: its first checkpoint is saved
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr
    message = stderr.strip().splitlines()[-1]
    assert message.startswith("stopped: SIGTERM received: simgan_local training stopped after step ") and "--resume" in message
    stopped_at = torch.load(out / "checkpoint.pt", weights_only=True)["step"]
    assert 4 <= stopped_at < 100_000

    # Resume to a few steps past the stop (adversarial_steps may change on resume), and train the same from scratch.
    steps = stopped_at - 4 + 3
    resumed = CliRunner().invoke(cli, [*common, "--out", str(out), "--steps", str(steps), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    train_refiner_from_specs("simgan_local", specs["synthetic"], specs["real"], tmp_path / "whole", steps=steps, device="cpu",
                             seed=3, progress=False, **sizes)
    _same_weights(load_refiner(out), load_refiner(tmp_path / "whole"))
    assert [row["step"] for row in read_log(out / LOG_FILE)] == list(range(1, stopped_at + 4))


def test_bench_refine_set_names_its_own_refiner_and_checks_the_value():
    base = ["refine", "--refiner", "simgan_local", "--synthetic", "npz:none.npz", "--real", "npz:none.npz", "--out", "unused"]
    other = CliRunner().invoke(cli, [*base, "--set", "cnn.epochs=3"])
    assert other.exit_code == 2 and "write --set simgan_local.KEY=VALUE" in other.output
    bad = CliRunner().invoke(cli, [*base, "--set", "simgan_local.batch_size=-1"])
    assert bad.exit_code == 2 and "out of range" in bad.output and "Traceback" not in bad.output


def test_bench_refine_resume_from_a_truncated_checkpoint_is_one_sentence(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "eyes.npz", images=rng.integers(0, 256, size=(16, 36, 60), dtype=np.uint8), gaze=np.zeros((16, 2), np.float32))
    out = tmp_path / "run"
    sizes = dict(refiner_channels=8, refiner_blocks=1, batch_size=8)
    create_refiner("simgan_local", **sizes).save(out)
    whole = (out / "checkpoint.pt").read_bytes()
    (out / "checkpoint.pt").write_bytes(whole[: len(whole) // 2])  # what a write cut short would leave without the rename
    result = CliRunner().invoke(cli, ["refine", "--refiner", "simgan_local", "--synthetic", f"npz:{tmp_path / 'eyes.npz'}",
                                      "--real", f"npz:{tmp_path / 'eyes.npz'}", "--out", str(out), "--device", "cpu", "--resume",
                                      *[f"--set=simgan_local.{k}={v}" for k, v in sizes.items()]])
    assert result.exit_code == 2 and "not a readable checkpoint" in result.output and "Traceback" not in result.output
