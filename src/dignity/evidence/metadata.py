"""Metadata read from an item's own bytes: EXIF and other image container fields, PDF document
information. It is read from the plaintext held in memory while the file streams in (never from a
file on disk, never by changing the original) and kept sealed beside the item, since it often
names people (authors, device owners) and places.

Location data (GPS coordinates in EXIF) is flagged as sensitive: pages show it apart and say so.
Image pixels are never decoded: only the header and metadata blocks are read, and an image whose
declared size exceeds `MAX_PIXELS` is not opened at all (a decompression bomb is refused, not
rendered). Files larger than `MAX_BYTES` are not read for metadata.
"""

from __future__ import annotations

import io
import warnings
from fractions import Fraction
from typing import Any

MAX_BYTES = 64 * 1024 * 1024
MAX_PIXELS = 200_000_000
TEXT_MAX = 500
IMAGE_TYPES = ("image/jpeg", "image/png", "image/tiff", "image/webp", "image/gif", "image/heic")
READABLE = (*IMAGE_TYPES, "application/pdf")  # the types `extract` reads anything from
# EXIF tags worth showing beside an item (others are kept out: maker notes can be huge).
EXIF_TAGS = (
    "Make",
    "Model",
    "Software",
    "DateTime",
    "DateTimeOriginal",
    "DateTimeDigitized",
    "OffsetTimeOriginal",
    "Artist",
    "Copyright",
    "ImageDescription",
    "BodySerialNumber",
    "LensModel",
    "Orientation",
)
GPS_IFD = 0x8825
EXIF_IFD = 0x8769


def _text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).replace("\x00", "").strip()[:TEXT_MAX]


def _degrees(parts: Any, ref: object) -> float | None:
    try:
        degrees, minutes, seconds = (Fraction(str(float(p))) for p in parts)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = float(degrees + minutes / 60 + seconds / 3600)
    return -value if _text(ref) in ("S", "W") else value


def _image(data: bytes) -> dict[str, Any]:
    from PIL import ExifTags, Image  # imported on use: only intake of images needs Pillow

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            opened = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            return {"refused": "the declared image size is a decompression bomb: not read"}
        with opened as image:
            width, height = image.size
            found: dict[str, Any] = {
                "format": image.format,
                "width": width,
                "height": height,
                "mode": image.mode,
            }
            if width * height > MAX_PIXELS:
                found["refused"] = f"more than {MAX_PIXELS:,} pixels: not read further"
                return found
            exif = image.getexif()
            names = {**ExifTags.TAGS}
            tags = {names.get(tag, str(tag)): value for tag, value in exif.items()}
            tags.update(
                {names.get(tag, str(tag)): value for tag, value in exif.get_ifd(EXIF_IFD).items()}
            )
            found["exif"] = {name: _text(tags[name]) for name in EXIF_TAGS if name in tags}
            gps = exif.get_ifd(GPS_IFD)
            if gps:
                gps_names = {**ExifTags.GPSTAGS}
                raw = {gps_names.get(tag, str(tag)): value for tag, value in gps.items()}
                location: dict[str, Any] = {}
                latitude = _degrees(raw.get("GPSLatitude"), raw.get("GPSLatitudeRef"))
                longitude = _degrees(raw.get("GPSLongitude"), raw.get("GPSLongitudeRef"))
                if latitude is not None and longitude is not None:
                    location.update(latitude=round(latitude, 6), longitude=round(longitude, 6))
                if "GPSAltitude" in raw:
                    location["altitude"] = _text(raw["GPSAltitude"])
                if "GPSDateStamp" in raw:
                    location["date"] = _text(raw["GPSDateStamp"])
                if location:
                    found["location"] = location
    return found


def _pdf_date(value: object) -> str:
    """A PDF date (D:YYYYMMDDHHmmSS+HH'mm') as ISO 8601, as far as it goes; else as written."""
    text = _text(value)
    digits = text[2:16] if text.startswith("D:") else ""
    if len(digits) < 4 or not digits.isdigit():
        return text
    parts = [digits[0:4], digits[4:6], digits[6:8], digits[8:10], digits[10:12], digits[12:14]]
    date = "-".join(p for p in parts[:3] if p)
    time = ":".join(p for p in parts[3:] if p)
    zone = text[16:].replace("'", "")
    zone = "Z" if zone.startswith("Z") else (f"{zone[:3]}:{zone[3:5]}" if len(zone) >= 5 else "")
    return f"{date}T{time}{zone}" if time else date


def _pdf(data: bytes) -> dict[str, Any]:
    from pypdf import PdfReader  # imported on use

    reader = PdfReader(io.BytesIO(data))
    found: dict[str, Any] = {"encrypted": reader.is_encrypted}
    if reader.is_encrypted:
        return found
    found["pages"] = len(reader.pages)
    info: dict[str, Any] = dict(reader.metadata or {})
    fields = {
        "/Title": "title",
        "/Author": "author",
        "/Subject": "subject",
        "/Creator": "creator",
        "/Producer": "producer",
        "/CreationDate": "created",
        "/ModDate": "modified",
    }
    for key, name in fields.items():
        if info.get(key):
            value = info[key]
            found[name] = _pdf_date(value) if name in ("created", "modified") else _text(value)
    return found


def extract(data: bytes, media_type: str) -> dict[str, Any]:
    """What the item's own bytes say about it; `{"error": ...}` when they cannot be read."""
    try:
        if media_type in IMAGE_TYPES:
            return _image(data)
        if media_type == "application/pdf":
            return _pdf(data)
    except Exception as error:
        return {"error": f"{type(error).__name__}: the metadata could not be read"}
    return {}


def sensitive(found: dict[str, Any]) -> list[str]:
    """The kinds of sensitive data found (shown as a warning beside the item)."""
    return ["location"] if "location" in found else []
