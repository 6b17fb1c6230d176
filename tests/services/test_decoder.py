"""The decoder on generated receipt photos, and without libzbar."""

from __future__ import annotations

import pytest

from app.services.scanning import decoder
from app.services.scanning.decoder import DecodeError, decode
from tests.services.receipt_photos import receipt_photos


@pytest.fixture(scope="module")
def photos():
    return list(receipt_photos(12, seed=3))


def test_generated_receipt_photos_decode_to_their_payload(photos):
    missed = [p.seed for p in photos if p.payload not in [b.text for b in decode(p.jpeg)]]
    assert missed == []


def test_works_from_a_path_and_rejects_non_images(photos, tmp_path):
    path = tmp_path / "r.jpg"
    path.write_bytes(photos[0].jpeg)
    assert photos[0].payload in [b.text for b in decode(path)]
    with pytest.raises(DecodeError):
        decode(b"not an image")


def test_without_libzbar_the_zxing_path_still_works(photos, monkeypatch):
    monkeypatch.setattr(decoder, "_pyzbar", None)
    found = sum(p.payload in [b.text for b in decode(p.jpeg)] for p in photos)
    assert found >= len(photos) - 1
    assert decoder.decode_plain_pyzbar(photos[0].jpeg) == []


def test_without_zxing_pyzbar_still_reads(photos, monkeypatch):
    monkeypatch.setattr(decoder, "_zxing", None)
    assert sum(p.payload in [b.text for b in decode(p.jpeg)] for p in photos) >= len(photos) // 2
