"""A message for the consultant, stored as a key of app.ui.strings and its arguments.

State never holds translated text: a screen renders a `Message` in the consultant's
language (`app.ui.strings.t`), so switching language re-renders stored messages too.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Message:
    key: str
    args: tuple[object, ...] = ()

    @classmethod
    def of(cls, key: str, *args: object) -> Message:
        return cls(key, args)
