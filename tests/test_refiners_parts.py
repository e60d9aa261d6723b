"""Refiner building blocks: history buffer, discriminator shapes, losses, registry, identity and gaussian."""

import json
import math

import pytest
import torch

from gazebench.core.errors import UserInputError
from gazebench.refiners.critic import ImageCritic
from gazebench.refiners.gaussian import HIGH_PASS_NOISE_GAIN, fit_blur_sigma, gaussian_blur, high_frequency_energy
from gazebench.refiners.history import HistoryBuffer
from gazebench.refiners.networks import GlobalDiscriminator, LocalDiscriminator, RefinerNet, coordinate_channels, rank_channel
from gazebench.refiners.registry import REFINERS, create_refiner, load_refiner
from gazebench.refiners.simgan import REAL, REFINED, adversarial_loss, self_regularisation
from gazebench.refiners.simgan_local import SimGANLocalRefiner
from gazebench.refiners.tone import ToneDiscriminator


def numbered(values):
    """Images whose every pixel holds their number, so a sample says where it came from."""
    return torch.tensor(values, dtype=torch.float32).view(-1, 1, 1, 1).expand(-1, 1, 2, 3).clone()


def ids(images):
    return images[:, 0, 0, 0].tolist()


def test_history_buffer_fills_in_order_then_never_grows():
    buffer, gen = HistoryBuffer(5, (1, 2, 3)), torch.Generator().manual_seed(0)
    buffer.push(numbered([1, 2, 3]), gen)
    assert len(buffer) == 3 and ids(buffer.images[:3]) == [1, 2, 3]
    buffer.push(numbered([4, 5, 6, 7]), gen)
    assert len(buffer) == 5 and buffer.images.shape[0] == 5
    # 4 and 5 took the free slots (giving 1..5); 6 and 7 then overwrote two distinct slots.
    after = ids(buffer.images)
    assert sum(a != b for a, b in zip(after, [1, 2, 3, 4, 5])) == 2 and {6, 7}.issubset(after)


def test_history_buffer_returns_earlier_images_and_replaces_at_random():
    buffer, gen = HistoryBuffer(4, (1, 2, 3)), torch.Generator().manual_seed(1)
    buffer.push(numbered([1, 2, 3, 4]), gen)
    assert set(ids(buffer.sample(50, gen))) == {1, 2, 3, 4}  # samples come from earlier pushes
    overwritten = set()
    for step in range(40):
        before = ids(buffer.images)
        buffer.push(numbered([100 + step]), gen)
        after = ids(buffer.images)
        changed = [i for i in range(4) if before[i] != after[i]]
        assert len(changed) == 1 and after[changed[0]] == 100 + step
        overwritten.add(changed[0])
    assert overwritten == {0, 1, 2, 3}  # random slots, not always the same one
    assert len(buffer) == 4


def test_history_buffer_state_round_trip():
    buffer, gen = HistoryBuffer(6, (1, 2, 3)), torch.Generator().manual_seed(2)
    buffer.push(numbered([1, 2, 3]), gen)
    copy = HistoryBuffer(6, (1, 2, 3))
    copy.load_state_dict(buffer.state_dict())
    assert len(copy) == 3 and torch.equal(copy.images, buffer.images)


def test_discriminator_maps_at_paper_size():
    x = torch.zeros(3, 1, 35, 55)
    assert LocalDiscriminator()(x).shape == (3, 2, 9, 14)
    assert GlobalDiscriminator((35, 55))(x).shape == (3, 2)
    assert RefinerNet(8, 1)(x).shape == x.shape


def test_adversarial_loss_sums_patches_and_averages_batch():
    logits = torch.zeros(2, 2, 3, 4)  # 12 patches at chance
    assert adversarial_loss(logits, REAL).item() == pytest.approx(12 * math.log(2), rel=1e-6)
    logits[0, REAL, 0, 0] = 2.0  # one confident "real" patch in image 0
    per_patch = -torch.log_softmax(torch.tensor([2.0, 0.0]), 0)
    expected_real = (11 * math.log(2) + per_patch[0].item() + 12 * math.log(2)) / 2
    expected_refined = (11 * math.log(2) + per_patch[1].item() + 12 * math.log(2)) / 2
    assert adversarial_loss(logits, REAL).item() == pytest.approx(expected_real, rel=1e-6)
    assert adversarial_loss(logits, REFINED).item() == pytest.approx(expected_refined, rel=1e-6)


def test_self_regularisation_is_mean_per_pixel():
    a = torch.zeros(2, 1, 4, 5)
    b = a.clone()
    b[0, 0, 0, 0] = 1.0
    assert self_regularisation(b, a).item() == pytest.approx(1 / 40)


def _disc(radius: float, centre_x: float) -> torch.Tensor:
    """A dark disc (an iris) on a light ground, 1 x 1 x 35 x 55, with soft edges."""
    yy, xx = torch.meshgrid(torch.arange(35.0), torch.arange(55.0), indexing="ij")
    inside = torch.sigmoid(2 * (radius - ((yy - 17) ** 2 + (xx - centre_x) ** 2).sqrt()))
    return (0.6 - 1.2 * inside).view(1, 1, 35, 55)


def test_structure_self_regularisation_frees_brightness_and_polarity_and_charges_moved_edges():
    render = _disc(6, 27)
    inverted = -render + 0.3  # the iris now light on a dark ground, at another brightness: the same eye
    moved = _disc(6, 28)  # the same tones, the iris 1 px to the side
    assert self_regularisation(inverted, render, "structure").item() == pytest.approx(0, abs=1e-6)
    assert self_regularisation(moved, render, "structure").item() > 1e-3
    # The paper's L1 ranks them the other way: the inverted eye costs more than the moved one.
    assert self_regularisation(inverted, render).item() > self_regularisation(moved, render).item()
    faded = 0.1 * render  # contrast still counts, so fading every pattern away is no way out
    assert self_regularisation(faded, render, "structure").item() > self_regularisation(moved, render, "structure").item()
    erased = torch.full_like(render, render.mean().item())  # drawing an edge and erasing one both count
    assert self_regularisation(erased, render, "structure").item() == pytest.approx(
        self_regularisation(render, erased, "structure").item())
    assert self_regularisation(erased, render, "structure").item() > self_regularisation(moved, render, "structure").item()


def test_structure_self_regularisation_trains_records_and_reloads(tmp_path):
    synthetic, real = torch.rand(16, 1, 35, 55) * 2 - 1, torch.rand(16, 1, 35, 55) * 2 - 1
    refiner = create_refiner("simgan_local", refiner_channels=4, refiner_blocks=1, batch_size=8, pretrain_refiner_steps=2,
                             pretrain_discriminator_steps=1, adversarial_steps=1, history_size=8, self_reg_kind="structure")
    refiner.fit(synthetic, real, device=torch.device("cpu"), out_dir=tmp_path, progress=False)
    assert refiner.config["self_reg_reduction"].startswith("L2 of 3 x 3 patterns")
    loaded = load_refiner(tmp_path)
    assert loaded.config["self_reg_kind"] == "structure"
    assert create_refiner("simgan_local").config["self_reg_reduction"] == "L1, mean per pixel"  # the paper's, by default


def test_registry_names_and_bad_inputs(tmp_path):
    assert all(cls.name == name for name, cls in REFINERS.items())  # a checkpoint's name finds its class again
    with pytest.raises(UserInputError, match="simgan_local"):
        create_refiner("simgan")
    with pytest.raises(UserInputError, match="paper"):
        create_refiner("simgan_local", preset="huge")
    with pytest.raises(UserInputError, match="refiner_channels"):
        create_refiner("simgan_local", refiner_chanels=3)
    with pytest.raises(UserInputError, match="config.json"):
        load_refiner(tmp_path)


def test_checkpoint_of_another_architecture_is_refused(tmp_path):
    refiner = create_refiner("simgan_local", refiner_channels=4, refiner_blocks=1)
    refiner.step = refiner.total_steps  # as if trained to the end: load_refiner refuses unfinished checkpoints
    refiner.save(tmp_path)
    loaded = load_refiner(tmp_path)
    assert loaded.name == "simgan_local" and loaded.config["refiner_channels"] == 4
    text = (tmp_path / "config.json").read_text().replace('"refiner_channels": 4', '"refiner_channels": 8')
    (tmp_path / "config.json").write_text(text)
    with pytest.raises(UserInputError, match="refiner_channels"):
        load_refiner(tmp_path)
    text = (tmp_path / "config.json").read_text().replace('"simgan_local"', '"simgan_global"')
    (tmp_path / "config.json").write_text(text)
    with pytest.raises(UserInputError):
        load_refiner(tmp_path)


def test_identity_returns_input_and_round_trips(tmp_path):
    refiner = create_refiner("identity", seed=3)
    x = torch.rand(4, 1, 35, 55) * 2 - 1
    assert not refiner.needs_real_images and not refiner.learns_weights
    assert torch.equal(refiner.refine(x, device=torch.device("cpu")), x)
    refiner.save(tmp_path)
    assert load_refiner(tmp_path).config == refiner.config


def test_gaussian_fits_real_high_frequency_energy(tmp_path):
    gen = torch.Generator().manual_seed(0)
    synthetic = torch.zeros(64, 1, 35, 55)
    real = 0.1 * torch.randn(64, 1, 35, 55, generator=gen)
    refiner = create_refiner("gaussian", seed=0)
    refiner.fit(synthetic, real, device=torch.device("cpu"))
    assert refiner.config["fitted_noise_std"] == pytest.approx(0.1, rel=0.05)
    refined = refiner.refine(synthetic, device=torch.device("cpu"))
    assert high_frequency_energy(refined) == pytest.approx(high_frequency_energy(real), rel=0.1)
    assert torch.equal(refined, refiner.refine(synthetic, device=torch.device("cpu")))  # seeded
    refiner.save(tmp_path)
    assert torch.equal(load_refiner(tmp_path).refine(synthetic, device=torch.device("cpu")), refined)
    white = torch.randn(64, 1, 64, 64, generator=gen)  # unit white noise: energy = the high-pass gain
    assert high_frequency_energy(white) == pytest.approx(HIGH_PASS_NOISE_GAIN, rel=0.03)


def test_gaussian_blurs_synthetic_images_sharper_than_real():
    gen = torch.Generator().manual_seed(1)
    synthetic = 0.5 * torch.randn(64, 1, 35, 55, generator=gen)  # sharp
    real = gaussian_blur(0.5 * torch.randn(64, 1, 35, 55, generator=gen), 1.0)  # duller
    refiner = create_refiner("gaussian", seed=0)
    refiner.fit(synthetic, real, device=torch.device("cpu"))
    assert refiner.config["fitted_blur_sigma"] > 0.3 and refiner.config["fitted_noise_std"] < 0.01
    refined = refiner.refine(synthetic, device=torch.device("cpu"))
    assert high_frequency_energy(refined) == pytest.approx(high_frequency_energy(real), rel=0.05)
    assert fit_blur_sigma(real, high_frequency_energy(synthetic)) == 0.0  # never sharpens


def test_gaussian_set_strength_and_size_mismatch():
    refiner = create_refiner("gaussian", noise_std=0.0, blur_sigma=1.0)
    x = torch.zeros(2, 1, 35, 55)
    x[:, :, 17, 27] = 1.0
    out = refiner.refine(x, device=torch.device("cpu"))
    assert 0 < out[0, 0, 17, 27] < 1 and out[0, 0, 17, 28] > 0  # blurred, no noise
    with pytest.raises(UserInputError, match="same size"):
        refiner.fit(x, torch.zeros(2, 1, 36, 60), device=torch.device("cpu"))


@pytest.mark.slow
def test_compile_is_for_cuda_unless_asked_for():
    cpu = torch.device("cpu")
    configured = SimGANLocalRefiner.from_preset("cpu", compile=True)
    configured.prepare_training(cpu)  # measured slower on a CPU, so the setting means CUDA
    assert configured._train_r is configured.refiner_net and configured._train_d is configured.discriminator
    assert configured.compiles_by_default(torch.device("cuda"))
    asked = SimGANLocalRefiner.from_preset("cpu")
    asked.prepare_training(cpu, compile=True)  # what `bench perf refiner` times beside eager
    assert isinstance(asked._train_r, torch._dynamo.eval_frame.OptimizedModule)
    assert isinstance(asked._train_d, torch._dynamo.eval_frame.OptimizedModule)
    eager = SimGANLocalRefiner.from_preset("cpu")
    eager.fast_path = False  # the plain fp32 eager comparison never compiles
    eager.prepare_training(cpu, compile=True)
    assert eager._train_r is eager.refiner_net


def test_rank_channel_is_each_pixels_place_in_its_own_image():
    image = torch.tensor([[[[0.3, -0.9], [0.8, 0.1]]], [[[5.0, 6.0], [7.0, 8.0]]]])
    ranks = rank_channel(image)
    assert torch.allclose(ranks[0].flatten(), torch.tensor([1 / 3, -1, 1, -1 / 3]))
    assert torch.allclose(ranks[1].flatten(), torch.tensor([-1, -1 / 3, 1 / 3, 1]))  # per image, not per batch
    # Any increasing tone curve leaves the ranks alone: they carry where a pixel stands, not its value.
    assert torch.equal(rank_channel(image**3 + 2 * image), ranks)
    net = RefinerNet(4, 1, rank_input=True)
    assert net.net[0].in_channels == 2 and net(torch.rand(3, 1, 35, 55)).shape == (3, 1, 35, 55)


def test_coordinate_channels_say_where_each_pixel_is_whatever_the_image():
    images = torch.rand(3, 1, 35, 55)
    coords = coordinate_channels(images)
    assert coords.shape == (3, 2, 35, 55) and torch.equal(coords, coordinate_channels(-images))
    rows, cols = coords[0]
    assert rows[0].eq(-1).all() and rows[-1].eq(1).all() and rows[17].abs().max() < 1e-6  # top to bottom
    assert cols[:, 0].eq(-1).all() and cols[:, -1].eq(1).all() and cols[:, 27].abs().max() < 1e-6  # left to right
    net = RefinerNet(4, 1, rank_input=True, coord_input=True)
    assert net.net[0].in_channels == 4 and net(images).shape == images.shape
    # Reflection padding alone hides where a pixel is: a plain refiner maps a flat image to a flat image.
    flat = torch.zeros(1, 1, 35, 55)
    assert RefinerNet(4, 1)(flat).std() < 1e-6 and RefinerNet(4, 1, coord_input=True)(flat).std() > 1e-4


def test_dilated_refiner_sees_further_at_the_same_cost():
    def reach(net: RefinerNet) -> int:
        """How far (px) from the centre a pixel's change still reaches the centre's output."""
        image = torch.zeros(1, 1, 35, 55, requires_grad=True)
        torch.nn.init.constant_(net.net[-2].weight, 1.0)  # every channel reaches the output
        net(image)[0, 0, 17, 27].backward()
        cols = image.grad[0, 0].abs().sum(dim=0).nonzero().flatten()
        return int(cols.max()) - 27

    torch.manual_seed(0)
    plain, dilated = RefinerNet(4, 2), RefinerNet(4, 2, dilation=2)
    assert reach(plain) == 5 and reach(dilated) == 9  # 4 * blocks * dilation + 3 px wide: 11 and 19
    assert sum(p.numel() for p in plain.parameters()) == sum(p.numel() for p in dilated.parameters())
    assert dilated(torch.rand(3, 1, 35, 55)).shape == (3, 1, 35, 55)


def test_tone_discriminator_sees_only_the_value_distribution():
    torch.manual_seed(0)
    images = torch.rand(6, 1, 35, 55) * 2 - 1
    shuffled = images.flatten(1)[:, torch.randperm(35 * 55)].reshape(images.shape)
    tone = ToneDiscriminator()
    assert torch.allclose(tone(images), tone(shuffled))  # where the pixels are does not matter
    assert not torch.allclose(tone(images), tone(images.clamp(-0.5, 0.5)))  # what values they take does


def test_tone_critic_learns_a_difference_no_shuffling_hides():
    torch.manual_seed(0)
    real = torch.rand(64, 1, 35, 55) * 2 - 1  # flat histograms, as histogram-equalised eyes
    refined = (torch.randn(64, 1, 35, 55) * 0.4).clamp(-1, 1)  # the same mean, bunched in the middle
    critic = ImageCritic("tone", ToneDiscriminator(), 1.0, lambda module: torch.optim.Adam(module.parameters(), lr=3e-3))
    first = critic.update(real, refined)["tone_acc_refined"]
    for _ in range(60):
        last = critic.update(real, refined)
    assert last["tone_acc_refined"] == 1.0 and last["L_tone"] < 0.5, (first, last)
    loss = critic.refiner_loss(refined.requires_grad_())
    loss.backward()
    assert refined.grad.abs().sum() > 0  # the refiner's gradient reaches the pixels through the sort


def test_critics_and_input_options_save_and_load_with_the_refiner(tmp_path):
    synthetic, real = torch.rand(16, 1, 35, 55) * 2 - 1, torch.rand(16, 1, 35, 55) * 2 - 1
    settings = dict(refiner_channels=4, refiner_blocks=1, batch_size=8, pretrain_refiner_steps=1,
                    pretrain_discriminator_steps=1, adversarial_steps=2, history_size=8, tone_weight=5.0, rank_input=True,
                    coord_input=True, refiner_dilation=2, whole_image_weight=3.0)
    refiner = create_refiner("simgan_local", **settings)
    assert [(c.name, c.weight) for c in refiner.critics] == [("tone", 5.0), ("whole_image", 3.0)]
    refiner.fit(synthetic, real, device=torch.device("cpu"), out_dir=tmp_path, progress=False)
    logged = json.loads((tmp_path / "training_log.jsonl").read_text().splitlines()[-1])
    assert {"L_tone", "tone_acc_refined", "L_whole_image", "whole_image_acc_refined"} <= set(logged)
    loaded = load_refiner(tmp_path)
    assert loaded.refiner_net.rank_input and loaded.refiner_net.coord_input
    assert loaded.refiner_net.net[2].body[0].dilation == (2, 2)
    for mine, theirs in zip(loaded.critics, refiner.critics, strict=True):
        for a, b in zip(mine.net.parameters(), theirs.net.parameters(), strict=True):
            assert torch.equal(a, b)
    assert torch.equal(loaded.refine(synthetic, device=torch.device("cpu")), refiner.refine(synthetic, device=torch.device("cpu")))
    off = create_refiner("simgan_local", **{**settings, "tone_weight": 0.0, "whole_image_weight": 0.0})
    assert off.critics == []  # off: the paper's
