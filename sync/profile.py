"""Applying a patch of profile fields to a client: the merge both ends run.

The device runs it when a consultant saves the profile form (what changed goes into a
client.update mutation); the hub runs it again when that mutation arrives, on its own
copy of the client. Both must agree on what is editable, what is valid and what changed.
"""

from __future__ import annotations

from typing import Any

from sync.models import PROFILE_FIELDS, ClientProfile


class NotEditable(ValueError):
    """The patch names fields that are not profile fields (ids, loyalty figures, typos)."""

    def __init__(self, fields: list[str]):
        self.fields = fields
        super().__init__(f"Fields that cannot be edited: {', '.join(fields)}.")


def not_editable(fields: dict[str, Any]) -> list[str]:
    """The names in a patch that are not profile fields, sorted (empty when all are)."""
    return sorted(set(fields) - set(PROFILE_FIELDS))


def merge_profile(current: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """The fields of the patch that change `current`, as validated JSON values.

    The patch is applied over the client's profile fields and the whole profile is
    validated (pydantic.ValidationError when it is not valid), so a patch cannot leave a
    client invalid. A field whose validated value equals the current one is not a change.
    Raises NotEditable for fields outside the profile. `current` is not modified.
    """
    unknown = not_editable(fields)
    if unknown:
        raise NotEditable(unknown)
    profile = {k: current[k] for k in PROFILE_FIELDS if k in current}
    merged = ClientProfile.model_validate({**profile, **fields}).model_dump(mode="json")
    return {k: merged[k] for k in fields if merged[k] != current.get(k)}
