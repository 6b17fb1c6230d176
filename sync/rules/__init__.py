"""Domain rules that the device and the hub must apply alike, each written once.

- contacts: phone numbers (E.164 normalising) and e-mail addresses
- profile: applying a patch of profile fields to a client (merge, validate, what changed)
- receipts: which fiscal receipt types may be linked to a client
- jsontext: the compact JSON text both ends store

Imported by both ends, so nothing here imports from `app` or `sync.hub`. The modules are
not imported here: `sync.models` uses `contacts`, and `profile` uses `sync.models`.
"""
