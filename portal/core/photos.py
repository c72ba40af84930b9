"""Photos attached to a document (a unit's condition at take-in, a returned product): checked and
normalised once, before anything is stored.

A phone photo arrives as a 3–12 MB JPEG of up to 8000 px with EXIF (orientation, often GPS). What is
kept is a JPEG of at most 2000 px on the long side, turned upright, with no metadata: enough to see
a scratch, small enough to print and to archive, and it never carries the customer's location.
"""
from __future__ import annotations

import io
import struct
import warnings
import zlib
from dataclasses import dataclass

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from portal.core.errors import ValidationFailed

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_PIXELS = 60_000_000   # an 8000 × 6000 phone photo fits; a decompression bomb does not
MIN_PHOTO_SIDE = 100
KEPT_SIDE = 2000
ACCEPTED = {"JPEG", "PNG", "WEBP"}


@dataclass(frozen=True)
class Photo:
    data: bytes   # JPEG
    mime: str
    width: int
    height: int


def _refuse(field: str, message: str, status: int = 422) -> ValidationFailed:
    error = ValidationFailed(message, errors={field: [message]})
    error.status = status
    return error


def checked_photo(data: bytes, *, field: str = "photos", name: str = "") -> Photo:
    """A photo from an upload, or ValidationFailed naming the file: not an image, over 5 MB, too
    small to show anything, or too many pixels to decode safely."""
    label = name or _("the photo")
    if not data:
        raise _refuse(field, _("%(name)s is empty.", name=label))
    if len(data) > MAX_PHOTO_BYTES:
        raise _refuse(field, _("%(name)s is larger than 5 MB.", name=label), 413)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED:
                raise _refuse(field, _("%(name)s must be a JPEG, PNG or WebP photo.", name=label))
            width, height = image.size
            if width * height > MAX_PHOTO_PIXELS:
                raise _refuse(field, _("%(name)s has too many pixels (%(w)s × %(h)s).", name=label, w=width, h=height))
            if min(width, height) < MIN_PHOTO_SIDE:
                raise _refuse(field, _("%(name)s is too small to show anything (%(w)s × %(h)s pixels).",
                                       name=label, w=width, h=height))
            image = ImageOps.exif_transpose(image)
            image.thumbnail((KEPT_SIDE, KEPT_SIDE))
            if image.mode not in ("RGB", "L"):
                background = Image.new("RGB", image.size, "white")
                background.paste(image, mask=image.convert("RGBA").getchannel("A"))
                image = background
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=85, optimize=True)
    except ValidationFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(field, _("%(name)s has too many pixels to open safely.", name=label)) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, struct.error, zlib.error):
        # What Pillow raises on a damaged file while decoding it (a PNG's bad chunk is a SyntaxError).
        raise _refuse(field, _("%(name)s is not an image the portal can read.", name=label), 400) from None
    return Photo(out.getvalue(), "image/jpeg", image.width, image.height)
