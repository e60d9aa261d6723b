"""`bench sweep`: a grid of refiners x seeds (each cell one `bench run` with every estimator), run on local
processes or submitted to SLURM through submitit, resumable and idempotent.

A cell is one run because a run trains its refiner once and every estimator reads the same refined images.
A cell counts as done when a run folder under the sweep's folder carries its refiner, seed and settings hash
(records.new_run_dir names folders so) and a `done` marker; a started sweep skips those, so a sweep killed
mid-way and started again finishes only what is missing, and a cell that was running continues in its unfinished
folder (`run_benchmark(resume_dir=...)`: the refiner from its checkpoint, each CNN from its last epoch). A failed cell writes `failed/<cell>.txt` with its
error and does not stop the others; it is retried on the next start. The process running a cell claims it
(harness/claims.py, a lock its death releases), so a second sweep into the same folder runs only the others.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import multiprocessing
import os
import re
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from gazebench.core.errors import Preempted, UserInputError
from gazebench.core.presets import preset_section
from gazebench.core.signals import StopRequests
from gazebench.harness import claims, records
from gazebench.harness.run import RunConfig, run_benchmark, settings_hash

MANIFEST = records.SWEEP_MANIFEST
FAILED_DIR = "failed"
LOGS_DIR = "logs"
SLURM_DIR = "slurm"
SHARED_FITS_DIR = records.SHARED_FITS_DIR  # RunConfig.shared_fits of every cell: fits trained once per seed and inputs
LAUNCHERS = ("local", "slurm")
#: The preset section that gives the peak memory of one cell (`cell_memory_gb`, measured, in gazebench/presets/).
SWEEP_SECTION = "sweep"
THREADS_PER_CELL = 2  # two threads keep a 2-core machine busy with one cell; more cores run more cells


@dataclass(frozen=True)
class Cell:
    refiner: str
    seed: int
    digest: str

    @property
    def key(self) -> str:
        return f"{self.refiner}_seed{self.seed}_{self.digest}"

    @property
    def folder_tag(self) -> str:
        """The end of its run folders' names (records.new_run_dir); the hash covers the refiner too."""
        return f"seed{self.seed}_{self.digest}"


def parse_seeds(text: str) -> list[int]:
    """'0-4' -> [0..4]; '0,2,5' and mixtures ('0-2,7') too."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            low, _, high = part.strip().partition("-")
            seeds += list(range(int(low), int(high) + 1)) if high else [int(low)]
    except ValueError:
        raise UserInputError(f"--seeds {text!r}: expected seeds like 0-4 or 0,2,5.") from None
    if not seeds or min(seeds) < 0:
        raise UserInputError(f"--seeds {text!r}: expected at least one seed, none negative.")
    return sorted(set(seeds))


def expand(base: RunConfig, refiners: list[str], seeds: list[int]) -> list[tuple[Cell, RunConfig]]:
    """Every (refiner, seed) cell with its RunConfig; the inputs are checked here, before anything runs."""
    cells = []
    for refiner in dict.fromkeys(refiners):
        # Another refiner's --set is that refiner's alone: the cell runs, and hashes, as if it had not been given.
        settings = {component: values for component, values in base.settings.items()
                    if component == refiner or component not in refiners}
        for seed in seeds:
            config = dataclasses.replace(base, refiner=refiner, seed=seed, progress=False, settings=settings)
            config.resolved()  # unknown presets, bad sizes: one sentence now rather than a failed cell later
            cells.append((Cell(refiner, seed, settings_hash(config)), config))
    return cells


RUN_FOLDER_TAG = re.compile(r"_(seed\d+_[0-9a-f]{8})(?:_\d+)?$")  # TIME_REFINER_seedS_HASH[_N]


def _run_dirs_by_tag(out: Path) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    for config_file in sorted(out.glob(f"*/{records.CONFIG_FILE}")):
        match = RUN_FOLDER_TAG.search(config_file.parent.name)
        if match:
            found.setdefault(match.group(1), []).append(config_file.parent)
    return found


def cell_states(out: Path, cells: list[Cell]) -> dict[str, str]:
    """done | held (claimed by a live process: running) | failed | started (a folder without `done`: killed, or
    running in a process that claims nothing) | pending, per cell key."""
    by_tag = _run_dirs_by_tag(out) if out.is_dir() else {}
    states = {}
    for cell in cells:
        dirs = by_tag.get(cell.folder_tag, [])
        if any(records.is_done(d) for d in dirs):
            states[cell.key] = "done"
        elif claims.holder(out, cell.key) is not None:
            states[cell.key] = "held"
        elif (out / FAILED_DIR / f"{cell.key}.txt").is_file():
            states[cell.key] = "failed"
        elif dirs:
            states[cell.key] = "started"
        else:
            states[cell.key] = "pending"
    return states


def select(out: Path, cells: list[tuple[Cell, RunConfig]]) -> tuple[list[tuple[Cell, RunConfig]], dict[str, str]]:
    """The cells to run (neither done nor held by a live process) and every cell's state."""
    states = cell_states(out, [cell for cell, _ in cells])
    return [(cell, config) for cell, config in cells if states[cell.key] not in ("done", "held")], states


def held_by(out: Path, keys: list[str]) -> dict[str, str]:
    """'held by HOST pid PID since TIME' for each of `keys` still held (for --status)."""
    infos = {key: claims.holder(out, key) for key in keys}
    return {key: claims.describe(info) for key, info in infos.items() if info is not None}


def run_cell(config: RunConfig, key: str, threads: int) -> str | None:
    """One cell in its own process: a `bench run`, its log in logs/, a failure recorded in failed/.

    The cell is claimed for as long as it runs; None (nothing run) when another process holds it or finished it
    since the sweep chose its cells."""
    out = Path(config.out)
    claim = claims.try_claim(out, key)
    if claim is None:
        return None
    with claim:
        cell = Cell(config.refiner, config.seed, settings_hash(config))
        if cell_states(out, [cell])[cell.key] == "done":  # checked before "held": our own claim reads as held
            return None
        return _run_claimed(config, cell, threads)


def _run_claimed(config: RunConfig, cell: Cell, threads: int) -> str:
    out, key = Path(config.out), cell.key
    torch.set_num_threads(threads)
    failed = out / FAILED_DIR / f"{key}.txt"
    log_path = out / LOGS_DIR / f"{key}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a", encoding="utf-8") as log_file:
        def log(message: str) -> None:
            log_file.write(message + "\n")
            log_file.flush()

        unfinished = [d for d in _run_dirs_by_tag(out).get(cell.folder_tag, []) if not records.is_done(d)]
        try:
            # A cell that was killed continues in its newest folder (the claim keeps any other process out of it).
            run_dir = run_benchmark(config, log=log, resume_dir=unfinished[-1] if unfinished else None)
        except (Preempted, SystemExit):
            raise  # told to stop (or requeued by submitit, which exits): not a failure; the next start continues it
        except BaseException as exc:  # noqa: BLE001 - recorded for --status, then re-raised for the launcher
            failed.parent.mkdir(parents=True, exist_ok=True)
            failed.write_text(f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}", encoding="utf-8")
            raise
    failed.unlink(missing_ok=True)
    return str(run_dir)


def _available_memory_gb() -> float:
    """MemAvailable (free plus reclaimable cache) on Linux; free pages elsewhere."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 2**20  # kB
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30


def local_workers(preset: str, cores: int | None = None, memory_gb: float | None = None) -> int:
    """Cells that run at once: as many as cores allow at THREADS_PER_CELL threads each, and as fit in the
    available memory at the preset's [sweep] cell_memory_gb per cell (an unknown preset is one sentence); at least one."""
    cores = cores or os.cpu_count() or 1
    if memory_gb is None:
        memory_gb = _available_memory_gb()
    cell_memory_gb = preset_section(preset, SWEEP_SECTION)["cell_memory_gb"]
    return max(1, min(cores // THREADS_PER_CELL, int(memory_gb // cell_memory_gb)))


def write_manifest(out: Path, cells: list[tuple[Cell, RunConfig]], launcher: str, jobs: dict | None = None) -> None:
    """Record the sweep's cells (added to those of earlier sweeps into the same folder) for --status."""
    previous = json.loads((out / MANIFEST).read_text(encoding="utf-8")) if (out / MANIFEST).is_file() else {}
    listed = {c["key"]: c for c in previous.get("cells", [])}
    listed.update({c.key: {"key": c.key, "refiner": c.refiner, "seed": c.seed, "settings_hash": c.digest,
                           "config": dataclasses.asdict(cfg)} for c, cfg in cells})
    manifest = {"launcher": launcher, "git": records.git_state(outputs=out), "jobs": {**previous.get("jobs", {}), **(jobs or {})},
                "cells": list(listed.values())}
    records.write_json(out / MANIFEST, manifest)


def read_manifest(out: Path) -> dict:
    path = Path(out) / MANIFEST
    if not path.is_file():
        raise UserInputError(f"{out} holds no {MANIFEST}; expected a folder written by 'bench sweep --out'.")
    return json.loads(path.read_text(encoding="utf-8"))


def status(out: Path) -> dict[str, list[str]]:
    """Cell keys by state, read from the folder (and, for SLURM, the scheduler's view through submitit)."""
    manifest = read_manifest(out)
    cells = [Cell(c["refiner"], c["seed"], c["settings_hash"]) for c in manifest["cells"]]
    states = cell_states(Path(out), cells)
    jobs = manifest.get("jobs", {})
    if jobs:  # a started or pending SLURM cell may be queued or running (a held one runs): ask the scheduler
        import submitit

        for key, job_id in jobs.items():
            if states.get(key) in ("pending", "started"):
                state = submitit.SlurmJob(folder=Path(out) / SLURM_DIR, job_id=job_id).state.upper()
                states[key] = "running" if state == "RUNNING" else "pending" if state == "PENDING" else states[key]
    by_state: dict[str, list[str]] = {}
    for key, state in states.items():
        by_state.setdefault(state, []).append(key)
    return by_state


class _StopsToWorkers(StopRequests):
    """A stop signal to a local sweep goes on to its worker processes, so that no cell keeps running orphaned: a
    refiner in training saves a checkpoint and stops, anything else ends; finished cells are kept."""

    def _note(self, signum: int, frame) -> None:
        super()._note(signum, frame)
        forward_to_children(signum)


def forward_to_children(signum: int) -> None:
    for child in multiprocessing.active_children():
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signum)


def run_local(cells: list[tuple[Cell, RunConfig]], workers: int, threads: int,
              echo: Callable[[str], None] = print) -> dict[str, str]:
    """Run the cells in `workers` processes with one progress bar; returns failures (key -> error). SIGTERM or
    SIGUSR1 stops the running cells and starts no more (Preempted: the same command later runs what is missing)."""
    failures: dict[str, str] = {}
    # A fresh process per cell: no memory carried from one cell to the next, and each run's peak_rss_mb is its own.
    with _StopsToWorkers() as stop, ProcessPoolExecutor(max_workers=workers, max_tasks_per_child=1) as pool, \
            tqdm(total=len(cells), desc="sweep", unit="cell") as bar:
        futures = {pool.submit(run_cell, config, cell.key, threads): cell for cell, config in cells}
        for future in as_completed(futures):
            if stop.received is not None:
                for pending in futures:
                    pending.cancel()
                forward_to_children(stop.received)  # a worker the pool started after the signal
                continue
            cell = futures[future]
            try:
                if future.result() is None:
                    echo(f"cell {cell.key} was claimed or finished by another sweep since this one started; skipped")
            except Exception as exc:  # noqa: BLE001 - one failed cell never stops the others
                failures[cell.key] = f"{type(exc).__name__}: {exc}"
                echo(f"cell {cell.key} failed: {failures[cell.key]} (log: logs/{cell.key}.log)")
            bar.update()
    if stop.received is not None:
        raise Preempted(f"sweep stopped by {stop.name}; finished cells are kept, and the same command runs the rest.",
                        stop.received)
    return failures


class CellJob:
    """A cell as a submitit job. On preemption or time-out (USR2) the training under way saves its current step and
    stops; the signal then goes on to submitit, which calls `checkpoint` and requeues the cell, and the cell continues
    in its unfinished run folder (_run_claimed) from that step. Outside training submitit requeues at once, and the
    cell continues from the refiner's last checkpoint and each CNN's last finished epoch."""

    def __call__(self, config: RunConfig, key: str, threads: int) -> str | None:
        try:
            return run_cell(config, key, threads)
        except Preempted as exc:  # the step is saved and submitit's handler is back: hand it the signal
            os.kill(os.getpid(), exc.signum)
            raise

    def checkpoint(self, *args, **kwargs):
        import submitit  # like submit_slurm: only SLURM sweeps pay for importing it

        return submitit.helpers.DelayedSubmission(self, *args, **kwargs)


def submit_slurm(cells: list[tuple[Cell, RunConfig]], out: Path, *, partition: str | None, time_min: int,
                 cpus: int, gpus: int, array_parallelism: int, cluster: str = "slurm") -> dict[str, Any]:
    """Submit every cell as one job of a SLURM array through submitit; returns the jobs by cell key.

    `cluster="local"` is submitit's own local executor: the same submission code, run as local processes
    (what the tests use)."""
    import submitit

    executor = submitit.AutoExecutor(folder=out / SLURM_DIR, cluster=cluster)
    executor.update_parameters(timeout_min=time_min, cpus_per_task=cpus, gpus_per_node=gpus,
                               slurm_array_parallelism=array_parallelism,
                               **({"slurm_partition": partition} if partition else {}))
    keys = [cell.key for cell, _ in cells]
    jobs = executor.map_array(CellJob(), [config for _, config in cells], keys, [cpus] * len(cells))
    return dict(zip(keys, jobs))
