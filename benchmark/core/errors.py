"""The one exception type for mistakes a user can fix (bad path, bad spec, bad file).

The CLI turns it into one sentence on stderr and exit status 2, without a traceback.
"""


class UserInputError(Exception):
    """An input the user gave is wrong; the message names the input and what was expected."""
