"""Typed access to what an App holds only at some times (after login, with a profile open).

The models expose these as Optional; a test that needs one asserts it is there, with a
message saying what was missing, instead of failing later on an attribute of None.
"""

from __future__ import annotations

from app.cache.queries import ProfileData
from app.state.app import App
from app.state.session import Session
from app.sync_engine import SyncEngine


def shown(ctrl: App) -> ProfileData:
    """The profile on screen."""
    assert ctrl.profile.data is not None, "no profile is open"
    return ctrl.profile.data


def engine(ctrl: App) -> SyncEngine:
    """The sync engine of the logged-in consultant."""
    assert ctrl.sync.engine is not None, "not logged in: no sync engine"
    return ctrl.sync.engine


def signed_in(ctrl: App) -> Session:
    """The consultant's session."""
    assert ctrl.session.current is not None, "not logged in"
    return ctrl.session.current
