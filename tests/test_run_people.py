"""Per-person results, few-shot calibration and grouped ceiling folds, end to end through `bench run`."""

import numpy as np
import pytest
from data_layouts import eye_images, unit_vectors, write_day_mat, write_hysts_h5

from gazebench.data import open_source
from gazebench.harness import records
from gazebench.harness.run import RunConfig, run_benchmark

QUIET = dict(device="cpu", progress=False)


def _run(tmp_path, **settings) -> tuple[dict, list[dict]]:
    run_dir = run_benchmark(RunConfig(refiner="identity", estimators=("knn",), realism=False, **QUIET,
                                      out=str(tmp_path / "runs"), **settings), log=lambda m: None)
    return records.read_run(run_dir)


@pytest.mark.slow
def test_a_simulated_person_with_a_known_offset_comes_back_corrected(tmp_path):
    # Two simulated people whose labels are turned 12 degrees in opposite yaw directions; the images do not show it.
    common = dict(synthetic="sim?n={n}&seed={seed}", n_synthetic=3000, references=False, calibration_ks=(1, 27))
    shifted = _run(tmp_path, real_test="sim?n=400&seed=7&people=2&label_offset=12", **common)[1][0]
    plain = _run(tmp_path, real_test="sim?n=400&seed=7&people=2", **common)[1][0]
    assert set(shifted["per_person_error_deg"]) == {"sim person 0", "sim person 1"}
    assert shifted["mean_angular_error_deg"] > plain["mean_angular_error_deg"] + 4  # the offset is there
    corrected = shifted["calibrated"]["offset"]["27"]["mean"]
    assert corrected < plain["mean_angular_error_deg"] + 1  # and per-person calibration takes it out
    # the offsets are opposite, so correcting both people with one pooled offset could not have done this
    assert corrected < shifted["mean_angular_error_deg"] - 4
    assert shifted["calibrated"]["offset"]["27"]["mean"] < shifted["calibrated"]["offset"]["1"]["mean"]


@pytest.fixture
def mpiigaze_root(tmp_path):
    """Two people, three recording days each, 10 samples a day (both eyes): 120 labelled eyes."""
    normalized = tmp_path / "MPIIGaze" / "Data" / "Normalized"
    for seed, person in enumerate(("p00", "p01")):
        for day in range(3):
            base = 10 * seed + 2 * day
            write_day_mat(normalized / person / f"day{day + 1:02d}.mat", eye_images(10, base), unit_vectors(10, base),
                          eye_images(10, base + 1), unit_vectors(10, base + 1))
    return tmp_path / "MPIIGaze"


def test_people_and_recording_days_of_an_mpiigaze_root(mpiigaze_root, tmp_path):
    source = open_source(f"mpiigaze:{mpiigaze_root}")
    assert list(source.people([0, 59, 60, 119])) == ["p00", "p00", "p01", "p01"]
    assert list(source.recordings([0, 19, 20, 119])) == ["p00/day01", "p00/day01", "p00/day02", "p01/day03"]
    h5 = write_hysts_h5(tmp_path / "MPIIGaze.h5", {p: (eye_images(4, i), np.zeros((4, 2), np.float32))
                                                   for i, p in enumerate(("p03", "p07"))})
    h5_source = open_source(f"mpiigaze:{h5}")
    assert list(h5_source.people([0, 3, 4, 7])) == ["p03", "p03", "p07", "p07"] and h5_source.recordings([0]) is None


@pytest.mark.slow
def test_multi_person_test_set_reports_each_person_and_their_mean(mpiigaze_root, tmp_path):
    config, rows = _run(tmp_path, synthetic="sim?n={n}&seed={seed}", n_synthetic=300, real=f"mpiigaze:{mpiigaze_root}",
                        calibration_ks=(1, 3))
    assert config["data"]["test_people"] == ["p00", "p01"]
    method = next(r for r in rows if r["kind"] == "method")
    per_person = method["per_person_error_deg"]
    assert set(per_person) == {"p00", "p01"}
    assert method["mean_over_people_deg"] == pytest.approx(np.mean(list(per_person.values())))
    assert set(method["calibrated"]["affine"]) == {"1", "3"}
    ceiling = next(r for r in rows if r["estimator"] == "real_label_ceiling")
    assert ceiling["ceiling_folds"] == "5 folds, grouped by recording day"
    assert set(ceiling["per_person_error_deg"]) == {"p00", "p01"}
