"""The PIN's rules and its slow salted hash (scrypt from the standard library).

Only the hash is kept, and only in the secret store. A 4–6 digit PIN has at most a million
values, so the hash slows a guesser down but cannot stop one with the file in hand: what
protects the PIN is where the hash lives (the platform keystore) and the five-try limit.
scrypt rather than argon2 because it needs no native package on the tablet builds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import os

MIN_DIGITS, MAX_DIGITS = 4, 6
# 16 MiB and some 50 ms per check on a laptop core: slow for a guesser, unnoticed at the counter.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_MAXMEM = 64 * 1024 * 1024
SCHEME = "scrypt"


def pins_secret_key(hub_url: str) -> str:
    """The one secret-store entry that holds every account's PIN hash on this device (a wipe deletes it)."""
    return f"pins:{hub_url}"


def is_trivial(pin: str) -> bool:
    """One digit repeated (0000), a run up or down (1234, 9876), or a repeated pair (1212)."""
    digits = [int(c) for c in pin]
    steps = {b - a for a, b in itertools.pairwise(digits)}
    if len(steps) == 1 and steps <= {-1, 0, 1}:
        return True
    pair = pin[:2]
    return len(pin) % 2 == 0 and pair * (len(pin) // 2) == pin


def pin_problem(pin: str) -> str | None:
    """Why `pin` cannot be a PIN (a key of app.ui.strings), or None if it can."""
    if not (MIN_DIGITS <= len(pin) <= MAX_DIGITS) or not all("0" <= c <= "9" for c in pin):
        return "lock.pin_format"
    if is_trivial(pin):
        return "lock.pin_trivial"
    return None


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """`scrypt$N$r$p$salt$hash`, the salt fresh for every PIN set. Slow: call it off the event loop."""
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=_MAXMEM, dklen=32)
    return f"{SCHEME}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_pin(pin: str, stored: str) -> bool:
    """Whether `pin` matches the stored hash (False for an unreadable one). Slow, like hash_pin."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != SCHEME:
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            pin.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_MAXMEM,
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(got, expected)
