"""Domain rules that the device and the hub must apply alike, each written once.

- contacts: phone numbers (E.164 normalising) and e-mail addresses
- receipts: which fiscal receipt types may be linked to a client
- jsontext: the compact JSON text both ends store

Imported by both ends, so nothing here imports from `app` or `sync.hub`, nor from
`sync.models` (which validates with `contacts`). The profile merge needs the profile model,
so it lives beside it in `sync.profile`.
"""
