"""Signed-form benchmark: the time to make a registration's PDF on the device.

    python tests/bench/bench_signed_pdf.py [--runs 20]

What `RegisterModel.sign` runs off the event loop (app.services.signed_pdf.build): the
signature rendered to a 300 dpi PNG, the questionnaire and five consent pages with the
Cyrillic font, the hashes. The sample is a full questionnaire with a three-stroke signature
(tests/services/signed_samples.py). Target: ≤ 1 s. Reports the median and p95 wall time
and this thread's CPU time (on a loaded machine the wall time is mostly waiting for a core).
Ends with one JSON line: {"runs", "median_ms", "p95_ms", "cpu_median_ms", "pdf_bytes", "pages"}
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pypdf import PdfReader  # noqa: E402

from app.services.signed_pdf import build  # noqa: E402
from tests.services.signed_samples import pdf_input  # noqa: E402


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args(argv)
    doc = pdf_input("ru")
    build(doc)  # warm: the font is parsed once per process
    wall, cpu = [], []
    made = None
    for _ in range(args.runs):
        t0, c0 = time.perf_counter(), time.thread_time()
        made = build(doc)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
    assert made is not None
    wall.sort()
    out = {
        "runs": args.runs,
        "median_ms": round(statistics.median(wall), 1),
        "p95_ms": round(wall[min(len(wall) - 1, int(len(wall) * 0.95))], 1),
        "cpu_median_ms": round(statistics.median(cpu), 1),
        "pdf_bytes": len(made.pdf),
        "pages": len(PdfReader(io.BytesIO(made.pdf)).pages),
    }
    print(f"signed PDF: median {out['median_ms']} ms, p95 {out['p95_ms']} ms (target ≤ 1000 ms)")
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
