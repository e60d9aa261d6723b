"""SimGAN training on tiny data: it refines, stays close to the input, and resumes exactly."""

import pytest
import torch
import torch.nn.functional as F

from gazebench.core.errors import UserInputError
from gazebench.refiners.curves import CURVES_FILE, LOG_FILE, TENSORBOARD_DIR, read_log
from gazebench.refiners.registry import REFINERS, create_refiner, load_refiner

CPU = torch.device("cpu")
TINY = dict(refiner_channels=8, refiner_blocks=1, batch_size=8, lr=3e-3, checkpoint_every=4, grid_every=1000)


def eye_like(n, seed, noise):
    """Smooth random blobs in [-1, 1] (synthetic), plus pixel noise for the 'real' set."""
    gen = torch.Generator().manual_seed(seed)
    blobs = F.avg_pool2d(torch.rand(n, 1, 35, 55, generator=gen) * 2 - 1, 7, stride=1, padding=3) * 4
    return (blobs + noise * torch.randn(blobs.shape, generator=gen)).clamp(-1, 1)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(n for n, cls in REFINERS.items() if cls.learns_weights))
def test_short_training_refines_within_range_and_stays_close(name, tmp_path):
    synthetic, real = eye_like(48, 0, 0.0), eye_like(48, 1, 0.05)
    refiner = create_refiner(name, **TINY, pretrain_refiner_steps=60, pretrain_discriminator_steps=4, adversarial_steps=12)
    refiner.fit(synthetic, real, device=CPU, out_dir=tmp_path, progress=False)
    refined = refiner.refine(synthetic, device=CPU)
    change = (refined - synthetic).abs().mean().item()
    assert refined.shape == synthetic.shape and refined.min() >= -1 and refined.max() <= 1
    assert 1e-3 < change < 0.1, change  # about 0.04-0.06 when written
    assert list((tmp_path / "grids").glob("*.png"))  # the before/after grid at the end
    assert torch.equal(load_refiner(tmp_path).refine(synthetic, device=CPU), refined)
    # Curves: one log line per step, the discriminator's accuracies once it trains, TensorBoard events, a PNG.
    log = read_log(tmp_path / LOG_FILE)
    assert [row["step"] for row in log] == list(range(1, refiner.total_steps + 1))
    assert {row["phase"] for row in log} == {"pretrain_R", "pretrain_D", "adversarial"}
    assert all(0 <= row["acc_real"] <= 1 and "L_adv" in row for row in log if row["phase"] == "adversarial")
    assert list((tmp_path / TENSORBOARD_DIR).glob("events.out.tfevents.*"))
    assert (tmp_path / CURVES_FILE).stat().st_size > 10_000


@pytest.mark.slow
def test_resume_after_interruption_equals_uninterrupted_run(tmp_path, monkeypatch):
    synthetic, real = eye_like(24, 0, 0.0), eye_like(24, 1, 0.3)
    settings = dict(TINY, pretrain_refiner_steps=2, pretrain_discriminator_steps=2, adversarial_steps=6, history_size=6, seed=5)
    whole = create_refiner("simgan_local", **settings)
    whole.fit(synthetic, real, device=CPU, out_dir=tmp_path / "whole", progress=False)

    interrupted = create_refiner("simgan_local", **settings)
    real_step = interrupted.train_step

    def dies_after_step_6(*args):
        if interrupted.step == 6:  # checkpoint at 4, then two more steps whose work is lost
            raise KeyboardInterrupt
        return real_step(*args)

    monkeypatch.setattr(interrupted, "train_step", dies_after_step_6)
    with pytest.raises(KeyboardInterrupt):
        interrupted.fit(synthetic, real, device=CPU, out_dir=tmp_path / "run", progress=False)
    assert torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)["step"] == 4

    resumed = create_refiner("simgan_local", **settings)
    steps_run = []
    counted_step = resumed.train_step
    monkeypatch.setattr(resumed, "train_step", lambda *args: steps_run.append(resumed.step) or counted_step(*args))
    resumed.fit(synthetic, real, device=CPU, out_dir=tmp_path / "run", resume=True, progress=False)
    assert steps_run == [4, 5, 6, 7, 8, 9]  # it continued from the checkpoint instead of starting over
    assert resumed.step == whole.step == 10
    assert len(resumed.history) == 6  # the buffer filled during the run and came back with the checkpoint
    for mine, theirs in [(resumed.refiner_net, whole.refiner_net), (resumed.discriminator, whole.discriminator)]:
        for (key, a), b in zip(mine.state_dict().items(), theirs.state_dict().values()):
            assert torch.equal(a, b), key
    assert torch.equal(resumed.history.images, whole.history.images)
    # The curves of the lost steps (5 and 6) were dropped and redone: every step once, as in the whole run.
    assert [row["step"] for row in read_log(tmp_path / "run" / LOG_FILE)] == list(range(1, 11))
    without_speed = [[{k: v for k, v in row.items() if k != "img/s"} for row in read_log(tmp_path / run / LOG_FILE)]
                     for run in ("run", "whole")]
    assert without_speed[0] == without_speed[1]  # the same losses and accuracies as the uninterrupted run


def test_fit_rejects_bad_inputs(tmp_path):
    refiner = create_refiner("simgan_local", **TINY)
    ok = torch.zeros(16, 1, 35, 55)
    with pytest.raises(UserInputError, match="same size"):
        refiner.fit(ok, torch.zeros(16, 1, 36, 60), device=CPU)
    with pytest.raises(UserInputError, match="at least one batch"):
        refiner.fit(ok, ok[:5], device=CPU)
    create_refiner("simgan_global", **TINY).save(tmp_path)
    with pytest.raises(UserInputError, match="simgan_global"):
        refiner.fit(ok, ok, device=CPU, out_dir=tmp_path, resume=True)


def _brightening(name, monkeypatch=None, flip=False):
    """How far adversarial training moves the refined mean grey level from the synthetic one, when the real
    images are the same blobs made brighter. With `flip`, the refiner's adversarial target is "refined"."""
    from gazebench.refiners import simgan

    synthetic, real = eye_like(64, 0, 0.0) * 0.5 - 0.3, eye_like(64, 1, 0.0) * 0.5 + 0.3
    refiner = create_refiner(name, **{**TINY, "batch_size": 16, "self_reg_lambda": 0.5}, pretrain_refiner_steps=30,
                             pretrain_discriminator_steps=20, adversarial_steps=40, seed=2)
    if flip:
        correct = type(refiner).refiner_update

        def flipped(self, batch, *, adversarial):
            monkeypatch.setattr(simgan, "REAL", simgan.REFINED)  # only the refiner's target: D keeps its labels
            try:
                return correct(self, batch, adversarial=adversarial)
            finally:
                monkeypatch.setattr(simgan, "REAL", 0)

        monkeypatch.setattr(type(refiner), "refiner_update", flipped)
    refiner.fit(synthetic, real, device=CPU, progress=False)
    return (refiner.refine(synthetic, device=CPU).mean() - synthetic.mean()).item()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(n for n, cls in REFINERS.items() if cls.learns_weights))
def test_the_refiner_learns_towards_real_and_a_flipped_target_does_not(name, monkeypatch):
    """The direction of the GAN: refined images move towards the real ones (brighter here). The same training
    with the refiner aiming at "refined" instead must not pass, so this test can tell the two apart."""
    towards_real = _brightening(name)
    flipped = _brightening(name, monkeypatch, flip=True)
    assert towards_real > 0.1, towards_real
    assert flipped < towards_real - 0.1, (flipped, towards_real)
