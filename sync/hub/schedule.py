"""The scheduled loyalty job: what time alone changes, applied when it is due.

Every client has a row in loyalty_due saying when her figures next change with no new
event (sync.hub.loyalty.next_change: a pending unlock, an expiry, a purchase leaving the
tier window, a campaign's start or end, a birthday window). `run_due` takes the due
clients in small batches, one write transaction each: it appends what the rules make due
(expiries, a birthday bonus, a referrer's reward), republishes the client's figures and
account in the change feed, and stores her next moment.

Safe on several workers: on PostgreSQL a batch locks its clients' rows and skips rows
another worker or a till holds (SKIP LOCKED, see loyalty_service.claim_due), so workers
share the work and never apply a client twice at once; what they append has
deterministic ids, so even a repeated run adds nothing. SQLite has one writer.
After downtime it catches up: due times in the past are simply due; expiries are dated
at the bucket's expiry and a late birthday bonus is still given within its window.
Run from `serve` every --expiry-interval seconds, and by `python -m sync.hub run-due`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sync.hub import clock, handlers, loyalty_service, members
from sync.hub.storage import HubDB, try_lock_client

BATCH = 200
MAX_ROUNDS = 100_000  # a guard: each round moves every client it took past `now`


@dataclass
class Done:
    clients: int = 0
    entries: int = 0


def run_due(db: HubDB, now: dt.datetime | None = None, batch: int = BATCH) -> Done:
    """Bring every client due by `now` (default: the hub's clock) up to date."""
    now = now or clock.now()
    done = Done()
    seen: set[str] = set()
    for _ in range(MAX_ROUNDS):
        with db.write() as conn:
            # A client left due on purpose (her referrer was busy) is not taken twice in
            # one run: the next run takes her.
            ids = [i for i in loyalty_service.claim_due(conn, now, batch) if i not in seen]
            for client_id in ids:
                done.entries += apply(conn, client_id, now)
        if not ids:
            break
        seen.update(ids)
        done.clients += len(ids)
    return done


def apply(conn, client_id: str, now: dt.datetime) -> int:
    """One due client, inside the caller's write transaction; entries written."""
    client = members.load(conn, client_id)
    if client is None or client.get("erased_at"):
        loyalty_service.drop_due(conn, client_id)
        return 0
    new = loyalty_service.due_entries(conn, client, now)
    loyalty_service.append(conn, client, new)
    written = len(new)
    reward = loyalty_service.referral_reward(conn, client, now)
    retry = False
    if reward and not loyalty_service.rewarded(conn, reward):
        # Not waiting for the referrer's row while holding the newcomer's (a till's batch
        # may hold hers and wait for the newcomer's: a deadlock): if she is busy, the
        # newcomer stays due and the next run pays.
        if try_lock_client(conn, reward[0].client_id):
            owner = members.load(conn, reward[0].client_id)
            if owner is not None and not owner.get("erased_at"):
                loyalty_service.append(conn, owner, reward)
                written += len(reward)
                handlers.refresh_figures(conn, owner, now)
        else:
            retry = True
    handlers.refresh_figures(conn, client, now, tried=True)
    if retry:
        loyalty_service.due_now(conn, client_id)
    return written
