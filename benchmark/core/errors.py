"""The one exception type for mistakes a user can fix (bad path, bad spec, bad file).

The CLI turns it into one sentence on stderr and exit status 2, without a traceback.
"""


class UserInputError(Exception):
    """An input the user gave is wrong; the message names the input and what was expected."""


class Preempted(Exception):
    """A job was told to stop (SIGTERM, SIGUSR1: SLURM's preemption and time limit) and stopped cleanly at a point
    it can resume from; the message says where. The CLI prints it as one line and exits 128 + the signal."""

    def __init__(self, message: str, signum: int):
        super().__init__(message, signum)  # both in args: it pickles back from a sweep's worker process
        self.signum = signum

    def __str__(self) -> str:
        return str(self.args[0])
