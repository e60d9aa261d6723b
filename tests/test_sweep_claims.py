"""Two sweeps into one folder: a cell claimed by a live process is skipped and shown with its holder by
`bench sweep --status`; the claim goes when its holder dies (even by kill -9)."""

import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from gazebench.cli.main import cli
from gazebench.harness import claims, sweep
from gazebench.harness.run import RunConfig

HOLD = "import sys, time; from gazebench.harness.claims import try_claim; c = try_claim(sys.argv[1], sys.argv[2]); print('held' if c else 'busy', flush=True); time.sleep(120)"


def _cells(out):
    base = RunConfig(estimators=("knn",), n_synthetic=300, realism=False, references=False, calibration=False, out=str(out))
    return sweep.expand(base, ["identity"], [0, 1])


def test_a_claim_is_exclusive_and_names_its_holder(tmp_path):
    assert claims.holder(tmp_path, "cell") is None  # never claimed: no lock file, free
    claim = claims.try_claim(tmp_path, "cell")
    assert claim is not None
    assert claims.try_claim(tmp_path, "cell") is None  # another open file, even in this process, is refused
    assert claims.holder(tmp_path, "cell")["pid"] == os.getpid()
    claim.release()
    assert claims.holder(tmp_path, "cell") is None
    with claims.try_claim(tmp_path, "cell"):  # free again for the next claimer
        pass


def test_a_cell_held_by_another_process_is_skipped_and_shown_until_the_holder_dies(tmp_path):
    cells = _cells(tmp_path)
    (free, _), (taken, taken_config) = cells
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path), taken.key], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        todo, states = sweep.select(tmp_path, cells)
        assert [cell.key for cell, _ in todo] == [free.key] and states[taken.key] == "held"
        assert sweep.run_cell(taken_config, taken.key, threads=1) is None  # a cell started anyway does not run
        assert not any(p.name.endswith(taken.folder_tag) for p in tmp_path.iterdir())
        sweep.write_manifest(tmp_path, cells, "local")
        status = CliRunner().invoke(cli, ["sweep", "--status", str(tmp_path)])
        assert status.exit_code == 0, status.output
        assert "held: 1" in status.output and "pending: 1" in status.output
        assert f"{taken.key}  (held by " in status.output and f"pid {holder.pid} since" in status.output
    finally:
        holder.send_signal(signal.SIGKILL)  # a holder that dies without cleaning up
        holder.wait()
    todo, states = sweep.select(tmp_path, cells)
    assert len(todo) == 2 and states[taken.key] == "pending"
    assert "held" not in CliRunner().invoke(cli, ["sweep", "--status", str(tmp_path)]).output


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead, only not yet reaped
        return stat.read().split(")")[-1].split()[0] != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigterm_to_a_local_sweep_stops_its_running_cell_too(tmp_path):
    """The sweep forwards the signal: no cell keeps running orphaned, and the sweep says how to continue."""
    out = tmp_path / "sweep"
    sets = ["--set=simgan_local.refiner_channels=8", "--set=simgan_local.refiner_blocks=1", "--set=simgan_local.batch_size=8",
            "--set=simgan_local.adversarial_steps=100000"]  # far more than it will run: the signal lands mid-cell
    process = subprocess.Popen(
        [sys.executable, "-m", "gazebench.cli.main", "sweep", "--refiner", "simgan_local", "--estimator", "knn", "--seeds", "0-1",
         "--workers", "1", "--no-references", "--no-realism", "--no-calibration", "--n-synthetic", "300", "--out", str(out), *sets],
        env={**os.environ, "OMP_NUM_THREADS": "1"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        worker = None
        while worker is None:
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            infos = [claims.holder(out, cell.key) for cell, _ in _cells_of(out)]
            worker = next((info["pid"] for info in infos if info and "pid" in info), None)
            time.sleep(0.05)
        time.sleep(1.0)  # into the cell's work
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert "stopped: sweep stopped by SIGTERM" in stderr and "Traceback" not in stderr
    deadline = time.monotonic() + 30
    while _alive(worker):
        assert time.monotonic() < deadline, f"worker {worker} still running after the sweep stopped"
        time.sleep(0.1)


def _cells_of(out):
    base = RunConfig(refiner="simgan_local", estimators=("knn",), n_synthetic=300, realism=False, references=False,
                     calibration=False, out=str(out),
                     settings={"simgan_local": {"refiner_channels": 8, "refiner_blocks": 1, "batch_size": 8, "adversarial_steps": 100000}})
    return sweep.expand(base, ["simgan_local"], [0, 1])
