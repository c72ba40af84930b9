"""Checking what a signing screen sends: a drawn signature as a PNG data URL (with its strokes), or
a photo of the company seal. Refused early and with a message, before anything is stored."""
from __future__ import annotations

import base64
import binascii
import io
import json
import struct
import zlib
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from PIL import Image, ImageChops, UnidentifiedImageError

from portal.core.errors import ValidationFailed

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_BYTES = 1024 * 1024
MAX_SEAL_BYTES = 5 * 1024 * 1024
MIN_INK_PIXELS = 150  # a dot or a stray touch is not a signature
MAX_SIDE = 4000
MIN_SIDE = 50
SEAL_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
# Decoding a hostile image can cost memory; Pillow refuses anything bigger than this. One limit for
# the whole process: an 8000 × 6000 phone photo (core.photos) passes; signatures and seals are held
# to MAX_SIDE on top of it.
Image.MAX_IMAGE_PIXELS = 60_000_000
# What Pillow raises on a damaged file while decoding it (a PNG's bad chunk is a SyntaxError).
UNREADABLE = (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error, Image.DecompressionBombError)


@dataclass(frozen=True)
class SignatureImage:
    data: bytes
    mime: str
    strokes: Any
    is_seal: bool

    @property
    def data_url(self) -> str:
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode()}"


def _refuse(message: str, status: int = 400):
    error = ValidationFailed(message, errors={"signature": [message]})
    error.status = status
    return error


def drawn_signature(data_url: str, strokes_json: str = "") -> SignatureImage:
    """A PNG data URL from the signature pad: PNG only, ≤ 1 MB, sane size, enough ink."""
    prefix = "data:image/png;base64,"
    if not data_url or not data_url.startswith(prefix):
        raise _refuse(_("Please sign in the box."), 422 if not data_url else 400)
    try:
        data = base64.b64decode(data_url[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        raise _refuse(_("The signature could not be read. Please sign again.")) from None
    if len(data) > MAX_SIGNATURE_BYTES:
        raise _refuse(_("The signature image is too large."), 413)
    if not data.startswith(PNG_MAGIC):
        raise _refuse(_("The signature must be a PNG image."))
    image = _open(data)
    if image.format != "PNG":
        raise _refuse(_("The signature must be a PNG image."))
    if _ink(image) < MIN_INK_PIXELS:
        raise _refuse(_("The signature is empty or too short. Please sign with your name."), 422)
    try:
        strokes = json.loads(strokes_json) if strokes_json else None
    except ValueError:
        strokes = None
    return SignatureImage(data, "image/png", strokes, False)


def seal_photo(data: bytes) -> SignatureImage:
    """A photo of the company seal imprint: PNG or JPEG, ≤ 5 MB, sane dimensions."""
    if not data:
        raise _refuse(_("Choose a photo of the seal."), 422)
    if len(data) > MAX_SEAL_BYTES:
        raise _refuse(_("The seal photo is larger than 5 MB."), 413)
    image = _open(data)
    if image.format not in SEAL_TYPES:
        raise _refuse(_("The seal photo must be a PNG or JPEG image."))
    return SignatureImage(data, SEAL_TYPES[image.format], None, True)


def _open(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        width, height = image.size
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise _refuse(_("This is not an image the portal can read.")) from None
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise _refuse(_("The image has unusable dimensions (%(w)s × %(h)s pixels).", w=width, h=height))
    try:
        # Decoded now, within sane dimensions: a damaged file (truncated, a bad chunk) is refused
        # here rather than failing later while the ink is counted or the PDF is made.
        image.load()
    except UNREADABLE:
        raise _refuse(_("This is not an image the portal can read.")) from None
    return image


def _ink(image: Image.Image) -> int:
    """Pixels that are drawn on: opaque and dark (the pad draws dark ink on a transparent or white
    background)."""
    rgba = image.convert("RGBA")
    rgba.thumbnail((400, 400))
    opaque = rgba.getchannel("A").point(lambda v: 255 if v > 64 else 0)
    dark = rgba.convert("L").point(lambda v: 255 if v < 200 else 0)
    return ImageChops.multiply(opaque, dark).histogram()[255]
