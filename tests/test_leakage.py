"""The leakage guard compares image content, not spec text: a test set that shares images with what the refiner
learns or learnt from is refused however it is named (core/fingerprints.py)."""

import shutil

import numpy as np
import pytest
from data_layouts import eye_images, unit_vectors, write_day_mat, write_hysts_h5

from gazebench.core.errors import UserInputError
from gazebench.core.fingerprints import FINGERPRINT_FILE
from gazebench.data import open_source, write_own_format
from gazebench.harness.refine import train_refiner_from_specs
from gazebench.harness.run import RunConfig, run_benchmark

QUIET = dict(estimators=("knn",), n_synthetic=300, device="cpu", references=False, realism=False, calibration=False,
             progress=False)
SYNTHETIC = "sim?n={n}&seed={seed}"


def _run(tmp_path, **settings):
    return run_benchmark(RunConfig(synthetic=SYNTHETIC, out=str(tmp_path / "runs"), **QUIET, **settings), log=lambda m: None)


@pytest.fixture
def real_sets(tmp_path):
    """One MPIIGaze root (p00, p01), the same eyes as an .h5, a copy of an npz under another name, other eyes."""
    normalized = tmp_path / "MPIIGaze" / "Data" / "Normalized"
    for seed, person in enumerate(("p00", "p01")):
        write_day_mat(normalized / person / "day01.mat", eye_images(20, 4 * seed), unit_vectors(20, 4 * seed),
                      eye_images(20, 4 * seed + 1), unit_vectors(20, 4 * seed + 1))
    root = tmp_path / "MPIIGaze"
    people = {}
    for person in ("p00", "p01"):
        data = open_source(f"mpiigaze:{root}?people={person}").load()
        people[person] = (data.images, data.gaze)
    h5 = write_hysts_h5(tmp_path / "MPIIGaze.h5", people)
    rng = np.random.default_rng(9)
    npz = write_own_format(tmp_path / "real.npz", eye_images(80, 20), rng.uniform(-0.3, 0.3, (80, 2)).astype(np.float32))
    copy = tmp_path / "renamed_copy.npz"
    shutil.copy(npz, copy)
    other = write_own_format(tmp_path / "other.npz", eye_images(80, 30), rng.uniform(-0.3, 0.3, (80, 2)).astype(np.float32))
    return {"root": f"mpiigaze:{root}", "h5": f"mpiigaze:{h5}", "npz": f"npz:{npz}", "copy": f"npz:{copy}",
            "other": f"npz:{other}"}


@pytest.mark.parametrize("real, real_test", [
    ("npz", "npz"),  # the same file
    ("npz", "copy"),  # the same file copied under another name
    ("root", "h5"),  # a .mat root against the same eyes preprocessed into an .h5
])
def test_a_test_set_sharing_images_with_the_refiners_is_refused(real_sets, tmp_path, real, real_test):
    with pytest.raises(UserInputError, match=r"gives the refiner \d+ of the \d+ test images .*compared by image content"):
        _run(tmp_path, refiner="gaussian", real=real_sets[real], real_test=real_sets[real_test])
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_options_reordered_or_other_people_of_one_root(real_sets, tmp_path):
    root = real_sets["root"]
    with pytest.raises(UserInputError, match="compared by image content"):
        _run(tmp_path, refiner="gaussian", real=f"{root}?people=p00&subset=all", real_test=f"{root}?subset=all&people=p00")
    # disjoint participants of one root share no image: allowed
    _run(tmp_path, refiner="gaussian", real=f"{root}?people=p01", real_test=f"{root}?people=p00")


@pytest.mark.slow
def test_a_checkpoint_is_refused_on_the_images_it_saw_under_any_name(real_sets, tmp_path):
    checkpoint = tmp_path / "gaussian"
    train_refiner_from_specs("gaussian", "sim?n=300", real_sets["npz"], checkpoint, device="cpu", progress=False)
    assert (checkpoint / FINGERPRINT_FILE).is_file()
    for test in ("npz", "copy"):
        with pytest.raises(UserInputError, match="was trained on 80 of the 80 test images"):
            _run(tmp_path, refiner_checkpoint=str(checkpoint), real=real_sets["other"], real_test=real_sets[test])
    _run(tmp_path, refiner_checkpoint=str(checkpoint), real=real_sets["other"])  # other eyes: fine


@pytest.mark.slow
def test_the_refiner_a_run_trained_is_judged_by_the_images_it_saw(real_sets, tmp_path):
    run_dir = _run(tmp_path, refiner="gaussian", real=real_sets["npz"])
    # The same split of a copy holds out the very images the run held out: the refiner never saw them.
    _run(tmp_path, refiner_checkpoint=str(run_dir / "refiner"), real=real_sets["copy"])
    # Another split puts some of the refiner's images into the test set: refused.
    with pytest.raises(UserInputError, match="was trained on"):
        _run(tmp_path, refiner_checkpoint=str(run_dir / "refiner"), real=real_sets["copy"], split_seed=1)


@pytest.mark.slow
def test_a_checkpoint_without_fingerprints_needs_an_explicit_override_on_real_data(real_sets, tmp_path):
    checkpoint = tmp_path / "gaussian"
    train_refiner_from_specs("gaussian", "sim?n=300", real_sets["npz"], checkpoint, device="cpu", progress=False)
    (checkpoint / FINGERPRINT_FILE).unlink()  # as written before fingerprints existed
    with pytest.raises(UserInputError, match="records no fingerprints"):
        _run(tmp_path, refiner_checkpoint=str(checkpoint), real=real_sets["other"])
    _run(tmp_path, refiner_checkpoint=str(checkpoint), real=real_sets["other"], allow_unfingerprinted_checkpoint=True)
