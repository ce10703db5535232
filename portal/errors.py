"""The one exception services raise when the rules refuse an action."""

import logging

logger = logging.getLogger("portal.events")


class ActionRefused(Exception):
    """The rules refuse this action; the message says why, in the customer's words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
        # Every refusal is logged where it is decided, whichever view shows it.
        logger.info("refused", extra={"reason": message[:300]})
