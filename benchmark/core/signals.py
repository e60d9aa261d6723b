"""Stop requests: SIGTERM, SIGUSR1 and SIGUSR2 (SLURM's preemption and time-limit warnings; submitit asks for USR2)
noted instead of killing, so a training loop can finish its step, save a checkpoint and stop where `--resume`
continues. On the way out the previous handlers come back, so a SLURM cell hands USR2 on to submitit's own
checkpoint-and-requeue handler once the step is saved (harness/sweep.py, CellJob).
"""

from __future__ import annotations

import signal
import threading

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGUSR1", "SIGUSR2") if hasattr(signal, name))


class StopRequests:
    """While entered (in the main thread; elsewhere signals cannot be caught and nothing changes), `received`
    is the first stop signal that arrived, or None; the previous handlers come back on exit."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict[int, object] = {}

    def _note(self, signum: int, frame) -> None:
        if self.received is None:
            self.received = signum

    def __enter__(self) -> StopRequests:
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                self._previous[signum] = signal.signal(signum, self._note)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)  # None: set outside Python
        self._previous.clear()

    @property
    def name(self) -> str:
        return signal.Signals(self.received).name if self.received is not None else ""
