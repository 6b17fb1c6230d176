"""`python -m app.services.scanning IMAGE...`: one JSON line per image.

    {"file", "codes": [{"format", "text"}], "receipt": {...} or null, "ms"}

`receipt` is the first fiscal receipt QR among the codes, parsed (t, s in kopecks, fn,
i, fp, n, kind). An unreadable file gets an "error" key and exit status 1. What a
missing engine costs (e.g. no libzbar0) is said once on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from .codes import ReceiptCode, classify
from .decoder import DecodeError, ScannerUnavailable, default_decoder


def scan_file(path: str, *, exhaustive: bool = False) -> dict:
    t0 = time.perf_counter()
    error = None
    try:
        codes = default_decoder().decode(path, exhaustive=exhaustive)
    except DecodeError as e:
        codes, error = [], str(e)
    ms = round((time.perf_counter() - t0) * 1000, 1)
    receipt = next((k.receipt for k in map(classify, codes) if isinstance(k, ReceiptCode)), None)
    line: dict = {
        "file": path,
        "codes": [{"format": str(c.format), "text": c.text} for c in codes],
        "receipt": None if receipt is None else {**receipt.model_dump(mode="json"), "kind": receipt.kind},
        "ms": ms,
    }
    if error is not None:
        line["error"] = error
    return line


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m app.services.scanning", description="Decode barcodes in images; one JSON line per image."
    )
    ap.add_argument("images", nargs="+", metavar="IMAGE")
    ap.add_argument("--all", action="store_true", help="run every decoding step and merge the results")
    args = ap.parse_args(argv)
    try:
        decoder = default_decoder()
    except ScannerUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for problem in decoder.problems:
        print(f"warning: {problem}", file=sys.stderr)
    status = 0
    for path in args.images:
        line = scan_file(path, exhaustive=args.all)
        status = max(status, 1 if "error" in line else 0)
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
