"""The one exception type a user sees: a plain Chinese sentence, never a traceback."""


class UserError(Exception):
    """Bad input or an unusable index; `str(error)` tells the user what to do."""
