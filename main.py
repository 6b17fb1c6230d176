"""The entry `flet build` packs ([tool.flet.app] module = "main"): the app without a command line.

Run from a checkout, `python -m app` is the entry (app/main.py's `cli`).
"""

from app.main import packaged

packaged()
