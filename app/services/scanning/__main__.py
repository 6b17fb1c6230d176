"""`python -m app.services.scanning IMAGE...`: one JSON line per image.

{"file", "codes": [{"format", "text"}], "receipt": {...} or null, "ms"}; for bulk use and
for checking the decoder on photos from the floor.
"""

from __future__ import annotations

import json
import sys
import time

from .codes import ReceiptCode, classify
from .decoder import ZBAR_ERROR, DecodeError, decode


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    if ZBAR_ERROR:
        print(f"warning: {ZBAR_ERROR}", file=sys.stderr)
    status = 0
    for path in argv:
        t0 = time.perf_counter()
        try:
            codes = decode(path)
            error = None
        except DecodeError as e:
            codes, error, status = [], str(e), 1
        ms = round((time.perf_counter() - t0) * 1000, 1)
        receipt = next((c.receipt for c in map(classify, codes) if isinstance(c, ReceiptCode)), None)
        line = {"file": path, "codes": [{"format": str(c.format), "text": c.text} for c in codes],
                "receipt": None if receipt is None else {**receipt.model_dump(mode="json"), "kind": receipt.kind},
                "ms": ms}
        if error:
            line["error"] = error
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return status


sys.exit(main(sys.argv[1:]))
