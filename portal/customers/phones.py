"""Chinese phone numbers: validated and stored in one normal form, so the same number typed two
ways is recognised as one.

  mobile      13812345678             (11 digits, 1[3-9]…; +86 / 0086 prefixes dropped)
  landline    0531-88881234[-123]     (area code 010/02x or 0xxx, 7–8 digit number, extension)
  service     400-123-4567            (400/800 numbers companies publish)
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

_SEPARATORS = re.compile(r"[\s\-－—()（）.·]")
_EXTENSION = re.compile(r"(?:转|ext\.?|x|#|-)\s*(\d{1,6})$", re.IGNORECASE)


class PhoneError(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Phone:
    normal: str
    kind: str  # mobile | landline | service

    @property
    def digits(self) -> str:
        return re.sub(r"\D", "", self.normal)


def normalise(raw: str) -> Phone:
    # NFKC: full-width digits and signs, which a Chinese input method types, become ASCII.
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        raise PhoneError(_l("Enter a phone number."))
    extension = ""
    match = _EXTENSION.search(text)
    body = text
    if match and len(re.sub(r"\D", "", text[:match.start()])) >= 9:
        extension, body = match.group(1), text[:match.start()]
    digits = _SEPARATORS.sub("", body)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not (digits.isascii() and digits.isdigit()):  # str.isdigit also takes "²" and other scripts' digits
        raise PhoneError(_l("A phone number has digits only (spaces and dashes are fine)."))
    if len(digits) == 11 and re.match(r"^1[3-9]\d{9}$", digits):
        if extension:
            raise PhoneError(_l("A mobile number has no extension."))
        return Phone(digits, "mobile")
    if re.match(r"^(400|800)\d{7}$", digits):
        return Phone(f"{digits[:3]}-{digits[3:6]}-{digits[6:]}", "service")
    if digits.startswith("0"):
        area_length = 3 if digits[1:2] in ("1", "2") else 4  # a lone "0" has no second digit
        area, local = digits[:area_length], digits[area_length:]
        if len(local) in (7, 8) and local[0] not in "01":
            return Phone(f"{area}-{local}" + (f"-{extension}" if extension else ""), "landline")
        raise PhoneError(_l("A landline is an area code and a 7 or 8 digit number, e.g. 0531-88881234."))
    if len(digits) in (7, 8):
        raise PhoneError(_l("Add the area code, e.g. 0531-88881234."))
    if digits.startswith("1"):
        raise PhoneError(_l("A mobile number has 11 digits and starts with 13–19."))
    raise PhoneError(_l("Not a Chinese mobile or landline number."))


def digits_fragment(query: str) -> str | None:
    """The digits of a search query that looks like (part of) a phone number, else None."""
    stripped = _SEPARATORS.sub("", query.strip())
    return stripped if len(stripped) >= 3 and stripped.isdigit() else None
