"""Outcomes of applying a mutation other than success."""


class Rejected(Exception):
    """The mutation can never apply; the device shows `reason` to the consultant."""

    def __init__(self, code: str, reason: str):
        self.code, self.reason = code, reason
        super().__init__(reason)


class Waiting(Exception):
    """Not applicable yet (e.g. its blob is not uploaded); the device keeps and retries it."""

    def __init__(self, code: str, reason: str):
        self.code, self.reason = code, reason
        super().__init__(reason)
