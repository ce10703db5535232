"""The one exception services raise when the rules refuse an action."""


class ActionRefused(Exception):
    """The rules refuse this action; the message says why, in the customer's words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
