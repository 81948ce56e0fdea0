"""Checking and cleaning uploaded evidence (photos and PDFs) before anything is stored.

The type is decided by the file's content (magic bytes, through the ``filetype`` package), never by
its name or the browser's Content-Type. Images are decoded and re-encoded by Pillow, so whatever
else the file carried (EXIF, comments, an HTML page appended after the image data) does not
survive; only the GPS position is copied over, when the survey keeps it as proof of visit.

Two facts about the original are kept beside the cleaned file, for the visit-integrity checks
of mystery shops (shoppers.review.integrity): the SHA-256 of the bytes as uploaded (the same
photo sent twice has the same hash) and the time the photo says it was taken (EXIF
DateTimeOriginal, read before the EXIF block is dropped; never written into the stored file).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import IO, Final

import filetype
from django.conf import settings
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

from cxaudit.errors import DomainError

ALLOWED: Final = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "application/pdf": "pdf",
}
ACCEPT_ATTRIBUTE: Final = "image/jpeg,image/png,image/webp,application/pdf"
GPS_IFD: Final = 0x8825
EXIF_IFD: Final = 0x8769
DATETIME_ORIGINAL: Final = 0x9003
OFFSET_TIME_ORIGINAL: Final = 0x9011
DATETIME: Final = 0x0132
# A photo of a receipt needs no more than this; larger images are a decompression-bomb risk.
MAX_PIXELS: Final = 50_000_000
_PIL_FORMAT: Final = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def max_bytes() -> int:
    return int(getattr(settings, "CXAUDIT_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024))


def human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"


class EvidenceRejected(DomainError):
    """The upload is not an acceptable file; the message says why, for the respondent."""


@dataclass(frozen=True)
class CleanFile:
    content: bytes
    content_type: str
    extension: str
    width: int | None = None
    height: int | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None
    content_hash: str = ""  # SHA-256 of the bytes as uploaded
    taken_at: dt.datetime | None = None  # EXIF DateTimeOriginal of an image, when it has one


def too_large_message(size: int | None = None) -> str:
    got = f" (this one is {human_size(size)})" if size else ""
    return f"The file is too large{got}: the limit is {human_size(max_bytes())}."


def clean_upload(stream: IO[bytes], size: int, *, keep_location: bool) -> CleanFile:
    """Check an uploaded file by content and size; re-encode images. Raises EvidenceRejected."""
    if size > max_bytes():
        raise EvidenceRejected(too_large_message(size))
    if size == 0:
        raise EvidenceRejected("The file is empty.")
    data = stream.read(max_bytes() + 1)
    if len(data) > max_bytes():
        raise EvidenceRejected(too_large_message(len(data)))
    kind = filetype.guess(data[:8192])
    mime = kind.mime if kind is not None else None
    if mime not in ALLOWED:
        raise EvidenceRejected(
            "This type of file is not accepted: upload a photo (JPEG, PNG or WebP) or a PDF."
        )
    if mime == "application/pdf":
        if not data.startswith(b"%PDF-"):
            raise EvidenceRejected("The PDF file is damaged.")
        return CleanFile(
            content=data,
            content_type=mime,
            extension="pdf",
            content_hash=hashlib.sha256(data).hexdigest(),
        )
    return _reencode(data, mime, keep_location=keep_location)


def _reencode(data: bytes, mime: str, *, keep_location: bool) -> CleanFile:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise EvidenceRejected("The image has too many pixels (at most 50 megapixels).")
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise EvidenceRejected("The image file is damaged or not really an image.") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise EvidenceRejected("The image has too many pixels (at most 50 megapixels).") from exc

    gps = _gps_ifd(image) if keep_location else None
    taken_at = _taken_at(image)
    # EXIF orientation is about to be dropped, so apply it to the pixels first.
    image = ImageOps.exif_transpose(image)
    fmt = _PIL_FORMAT[mime]
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif fmt in ("PNG", "WEBP") and image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    out = io.BytesIO()
    options: dict = {}
    if fmt == "JPEG":
        options = {"quality": 85, "optimize": True}
    elif fmt == "WEBP":
        options = {"quality": 85}
    if gps:
        exif = Image.Exif()
        exif[GPS_IFD] = gps
        options["exif"] = exif.tobytes()
    image.save(out, format=fmt, **options)
    lat, lon = _decimal_position(gps) if gps else (None, None)
    return CleanFile(
        content=out.getvalue(),
        content_type=mime,
        extension=ALLOWED[mime],
        width=image.width,
        height=image.height,
        gps_lat=lat,
        gps_lon=lon,
        content_hash=hashlib.sha256(data).hexdigest(),
        taken_at=taken_at,
    )


def _taken_at(image: Image.Image) -> dt.datetime | None:
    """When the photo says it was taken: EXIF DateTimeOriginal (else DateTime), with its
    OffsetTimeOriginal when present, otherwise read in the site's time zone; None when the
    image has no such tag or it is malformed."""
    try:
        exif = image.getexif()
        sub = exif.get_ifd(EXIF_IFD)
        raw = sub.get(DATETIME_ORIGINAL) or exif.get(DATETIME)
        offset = sub.get(OFFSET_TIME_ORIGINAL)
        if not isinstance(raw, str):
            return None
        moment = dt.datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
        if isinstance(offset, str) and len(offset.strip("\x00 ")) == 6:
            sign = -1 if offset.startswith("-") else 1
            hours, minutes = int(offset[1:3]), int(offset[4:6])
            zone = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
            return moment.replace(tzinfo=zone)
        return timezone.make_aware(moment)
    except Exception:  # a malformed EXIF block just means no time
        return None


def _gps_ifd(image: Image.Image) -> dict | None:
    try:
        gps = dict(image.getexif().get_ifd(GPS_IFD))
    except Exception:  # a malformed EXIF block just means no position
        return None
    # 1-4: latitude ref, latitude, longitude ref, longitude; nothing else is kept.
    kept = {tag: gps[tag] for tag in (1, 2, 3, 4) if tag in gps}
    return kept if len(kept) == 4 else None


def _decimal_position(gps: dict) -> tuple[float | None, float | None]:
    def degrees(dms, ref) -> float | None:
        try:
            d, m, s = (float(x) for x in dms)
        except (TypeError, ValueError, ZeroDivisionError):
            return None
        value = d + m / 60 + s / 3600
        return -value if str(ref).upper() in ("S", "W") else value

    return degrees(gps[2], gps[1]), degrees(gps[4], gps[3])
