"""Scanner benchmark: generated receipt photos and the real-photo corpus, three decoders.

    python tests/bench/bench_scan.py [--images 200] [--seed 1]

Success rate and median milliseconds per image for plain pyzbar, plain zxing-cpp and
Vitrine's decoder, measured in one run on the same images (each timing includes
reading the JPEG). Ends with one JSON line:
{"images", "engines": {"pyzbar": {"decoded", "median_ms"}, "zxing_cpp": {…}, "vitrine": {…}},
 "corpus_decoded", "corpus_images", "false_positives"}
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.services.scanning.decoder import decode, decode_plain_pyzbar, decode_plain_zxing  # noqa: E402
from tests.services.receipt_photos import receipt_photos  # noqa: E402
from tests.services.test_corpus import CORPUS, IMAGE_SUFFIXES, expected_images, norm  # noqa: E402

ENGINES = {"pyzbar": decode_plain_pyzbar, "zxing_cpp": decode_plain_zxing, "vitrine": decode}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    photos = list(receipt_photos(args.images, seed=args.seed))
    sizes = sorted(p.size[0] * p.size[1] for p in photos)
    print(f"{len(photos)} generated receipt photos, {sizes[0] / 1e6:.1f}–{sizes[-1] / 1e6:.1f} MP", flush=True)
    figures = {}
    for name, fn in ENGINES.items():
        times, ok = [], 0
        for p in photos:
            t0 = time.perf_counter()
            found = fn(p.jpeg)
            times.append((time.perf_counter() - t0) * 1000)
            ok += p.payload in [b.text for b in found]
        figures[name] = {"decoded": ok, "rate": round(ok / len(photos), 4),
                         "median_ms": round(statistics.median(times), 1)}
        print(f"  {name:<10} decoded {ok}/{len(photos)} ({ok / len(photos):.1%}), "
              f"median {figures[name]['median_ms']} ms", flush=True)
    fastest = min(figures["pyzbar"]["median_ms"], figures["zxing_cpp"]["median_ms"])
    print(f"Vitrine median / fastest single engine: {figures['vitrine']['median_ms'] / fastest:.2f}x "
          f"(target ≤ 1.5x); decoded target ≥ 99%")

    corpus_decoded = corpus_images = false_positives = 0
    if CORPUS.exists():
        images = expected_images()
        corpus_images = len(images)
        corpus_decoded = sum(text in [norm(b.text) for b in decode(p)] for p, text in images)
        fp_images = [p for d in CORPUS.iterdir() if d.is_dir() and d.name.startswith("falsepositives")
                     for p in d.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
        false_positives = sum(bool(decode(p)) for p in fp_images)
        print(f"corpus: Vitrine decoded {corpus_decoded}/{corpus_images}; "
              f"false positives {false_positives}/{len(fp_images)}")
    print(json.dumps({"images": len(photos),
                      "engines": {k: {"decoded": v["decoded"], "median_ms": v["median_ms"]} for k, v in figures.items()},
                      "corpus_decoded": corpus_decoded, "corpus_images": corpus_images,
                      "false_positives": false_positives}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
