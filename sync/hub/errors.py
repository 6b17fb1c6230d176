"""Outcomes of applying a mutation other than success, and payload parsing that raises them."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


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


def describe(e: ValidationError) -> str:
    """A pydantic error as one sentence a person can read."""
    parts = []
    for err in e.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "fields")
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else err.get("msg", "invalid"))
    return "; ".join(parts)


def parse(model: type[M], payload: dict) -> M:
    """A mutation's payload as `model`, or Rejected("invalid_payload") saying what is wrong."""
    try:
        return model.model_validate(payload)
    except ValidationError as e:
        raise Rejected("invalid_payload", describe(e)) from None
