"""Customers to and from Excel (issue point 6).

Import: the clerk downloads the template, fills one row per unit (or per customer without a
unit), uploads it and sees every row's problems in a preview; nothing is written until the
commit, which creates every row in the caller's one transaction or raises ValidationFailed, so
the view rolls back and nothing is half-written. The preview waits as JSON in the imports folder
(`IMPORT_DIR`, else `imports/` beside `ARCHIVE_DIR`) under a random token, for its uploader only.

Export: the customers matching the list's filters, one row per unit plus one row per customer
without a unit, as .xlsx or as CSV (UTF-8 with a BOM and CRLF line ends, as Excel expects).

Column headings are fixed bilingual text (Chinese, English in brackets), never translated, so a
file reads the same whatever language its author's portal shows; the messages are translated.
"""
from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import secrets
import time
import unicodedata
import warnings
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from portal.core.errors import DomainError, ValidationFailed
from portal.core.timeutil import local_today
from portal.customers import phones, services
from portal.customers.models import Customer, CustomerKind, Equipment
from portal.extensions import db

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_ROWS = 5000
MAX_SHEET_ROWS = 100_000          # physical rows read, empty ones included, before giving up
PREVIEW_MAX_AGE_SECONDS = 24 * 3600
DATA_SHEET = "客户 (customers)"
HELP_SHEET = "说明 (help)"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
EXPORT_FORMATS = ("xlsx", "csv")

YES, NO = "是", "否"
KIND_WORDS = {CustomerKind.end_customer: "终端客户", CustomerKind.agent: "代理商"}
_YES_WORDS = {"是", "yes", "y", "true", "1", "√", "✓", "x"}
_NO_WORDS = {"否", "no", "n", "false", "0", "", "×"}
_KIND_ALIASES = {"终端客户": CustomerKind.end_customer, "终端": CustomerKind.end_customer,
                 "end customer": CustomerKind.end_customer, "end_customer": CustomerKind.end_customer,
                 "代理商": CustomerKind.agent, "经销商": CustomerKind.agent, "agent": CustomerKind.agent,
                 "dealer": CustomerKind.agent, "agent / dealer": CustomerKind.agent}
_DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+0{1,2}:00(?::00)?)?"
                        r"|(\d{4})(\d{2})(\d{2})")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    required: bool = False
    max_length: int | None = None
    width: int = 14
    text: bool = False  # formatted as text in the template, so Excel keeps leading zeros
    hint: Any = ""

    @property
    def label(self) -> str:
        return f"{self.zh} ({self.en})"

    @property
    def header(self) -> str:
        return self.label + (" *" if self.required else "")


COLUMNS: tuple[Column, ...] = (
    Column("name", "客户名称", "customer name", True, 100, 24,
           hint=_l("The customer's name, e.g. 张伟 or 济南某某饭店.")),
    Column("is_organisation", "是否单位", "company or unit", width=12,
           hint=_l("是 for a company or unit (单位); 否 or empty for a private person.")),
    Column("kind", "客户类别", "kind", width=12,
           hint=_l("终端客户 (end customer; the default when empty) or 代理商 (agent or dealer).")),
    Column("contact_name", "联系人", "contact name", True, 40, 14, hint=_l("The person to call.")),
    Column("phone", "电话", "phone", True, 30, 16, True,
           hint=_l("Mobile (13812345678) or landline with area code (0531-88881234). A phone that is already "
                   "in the portal is refused: add units to an existing customer in the portal itself.")),
    Column("alt_phone", "其他电话", "other phone", False, 30, 16, True, hint=_l("Optional second number.")),
    Column("province", "省", "province", max_length=20, width=10),
    Column("city", "市", "city", max_length=30, width=10),
    Column("district", "区县", "district", max_length=30, width=10),
    Column("street", "街道地址", "street", max_length=120, width=28),
    Column("region", "片区", "region", max_length=30, width=12, hint=_l("Used to plan key-customer visits.")),
    Column("key_customer", "重点客户", "key customer", width=12, hint=_l("是 or 否 (empty means 否).")),
    Column("product_type", "产品类型", "product type", max_length=60, width=16,
           hint=_l("Exactly as in the list on the 说明 (help) sheet. Leave all unit columns empty for a "
                   "customer without a unit.")),
    Column("model", "型号", "model", max_length=60, width=14, text=True),
    Column("serial", "序列号", "serial", max_length=60, width=18, text=True,
           hint=_l("Required with a product type; must not be registered already nor repeated in the file.")),
    Column("purchase_date", "购买日期", "purchase date", width=14,
           hint=_l("Required with a unit: YYYY-MM-DD or an Excel date; not in the future.")),
    Column("warranty_months", "保修月数", "warranty months", width=12,
           hint=_l("0 to 120; empty means the product type's default.")),
    Column("notes", "备注", "notes", max_length=1000, width=30,
           hint=_l("On a row with a unit: the unit's notes; on a row without a unit: the customer's notes.")),
)
COLUMN = {column.key: column for column in COLUMNS}
CUSTOMER_KEYS = ("is_organisation", "kind", "contact_name", "alt_phone", "province", "city", "district",
                 "street", "region", "key_customer")
UNIT_KEYS = ("product_type", "model", "serial", "purchase_date", "warranty_months")
# Service error keys (portal.customers.services) → the column to name in the row's message.
_SERVICE_FIELDS = {"contacts-0-phone": "phone", "contacts-0-alt_phone": "alt_phone", "contacts-0-name": "contact_name",
                   "contacts": "phone", "product_type_id": "product_type", "serial": "serial",
                   "purchase_date": "purchase_date", "warranty_months": "warranty_months"}


class PreviewMissing(DomainError):
    """The import's token is unknown, expired, already committed or cancelled, or not the user's."""
    status = 404


class _Unreadable(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- the preview --------------------------------------------------------------------------------

@dataclass
class ImportRow:
    number: int                                    # the row number Excel shows
    cells: dict[str, str]                          # what the file says, as text, for the preview
    errors: list[str] = field(default_factory=list)
    group: int = 0                                 # rows of one customer share the number
    customer: dict[str, Any] = field(default_factory=dict)
    contact: dict[str, str] = field(default_factory=dict)
    unit: dict[str, Any] | None = None


@dataclass
class ImportPreview:
    rows: list[ImportRow] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    filename: str = ""
    owner_id: int | None = None

    @property
    def bad_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.errors]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.file_errors and not self.bad_rows

    @property
    def customer_count(self) -> int:
        return len({row.group for row in self.rows})

    @property
    def unit_count(self) -> int:
        return sum(1 for row in self.rows if row.unit)

    def groups(self) -> list[list[ImportRow]]:
        grouped: dict[int, list[ImportRow]] = {}
        for row in self.rows:
            grouped.setdefault(row.group, []).append(row)
        return list(grouped.values())

    def first_rows(self) -> dict[int, int]:
        """Customer (group) → the row number that introduces it."""
        firsts: dict[int, int] = {}
        for row in self.rows:
            firsts.setdefault(row.group, row.number)
        return firsts

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "ImportPreview":
        data = json.loads(text)
        data["rows"] = [ImportRow(**row) for row in data.get("rows", [])]
        return cls(**data)


# --- the template -------------------------------------------------------------------------------

def _rules() -> list[str]:
    return [
        _("One row per unit. A customer with several units takes several rows with the same customer name "
          "and phone; their customer columns must agree (or be left empty)."),
        _("A customer without a unit: leave product type, model, serial, purchase date and warranty months "
          "empty."),
        _("Columns marked * are required. Yes/no columns take 是 or 否; the kind column takes 终端客户 or 代理商."),
        _("A phone or serial that is already in the portal is refused: add units to an existing customer in "
          "the portal itself."),
        _("The whole file is checked before anything is saved: you see every row's problems, then save all "
          "rows together, or nothing."),
        _("At most %(rows)d rows and %(size)s per file. Keep the column headings of the first row.",
          rows=MAX_ROWS, size=size_text(MAX_UPLOAD_BYTES)),
    ]


def template_workbook() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = DATA_SHEET
    sheet.append([column.header for column in COLUMNS])
    bold, required_fill = Font(bold=True), PatternFill("solid", fgColor="FFF2CC")
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index)
        cell.font = bold
        if column.required:
            cell.fill = required_fill
        dimension = sheet.column_dimensions[letter]
        dimension.width = max(column.width, len(column.header) + 2)
        if column.text:
            dimension.number_format = "@"
        elif column.key == "purchase_date":
            dimension.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    types = services.product_types()
    _add_choices(sheet, "is_organisation", f'"{YES},{NO}"')
    _add_choices(sheet, "key_customer", f'"{YES},{NO}"')
    _add_choices(sheet, "kind", '"' + ",".join(KIND_WORDS.values()) + '"')
    if types:
        _add_choices(sheet, "product_type", f"'{HELP_SHEET}'!$A$2:$A${len(types) + 1}")
    _help_sheet(workbook.create_sheet(HELP_SHEET), types)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _add_choices(sheet, key: str, formula: str) -> None:
    letter = get_column_letter([c.key for c in COLUMNS].index(key) + 1)
    check = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                           error=_("Choose a value from the list."))
    check.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
    sheet.add_data_validation(check)


def _help_sheet(sheet, types) -> None:
    bold = Font(bold=True)
    sheet.append(["产品类型 (product type)", "默认保修月数 (default warranty months)", "", "规则 (rules)"])
    rules = _rules()
    for index in range(max(len(types), len(rules))):
        kind = types[index] if index < len(types) else None
        sheet.append([kind.name if kind else None, kind.default_warranty_months if kind else None, None,
                      rules[index] if index < len(rules) else None])
    start = sheet.max_row + 2
    sheet.cell(row=start, column=1, value=_("Columns")).font = bold
    for offset, column in enumerate(COLUMNS, start=1):
        sheet.cell(row=start + offset, column=1, value=column.header)
        sheet.cell(row=start + offset, column=4, value=str(column.hint) if column.hint else None)
    for cell in sheet[1]:
        cell.font = bold
    for letter, width in (("A", 26), ("B", 16), ("C", 2), ("D", 110)):
        sheet.column_dimensions[letter].width = width


# --- reading an upload --------------------------------------------------------------------------

def size_text(size: int) -> str:
    return f"{size / 1024 / 1024:g} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def read_upload(stream, filename: str = "") -> ImportPreview:
    """Read at most the size limit from an uploaded file and parse it; file errors are in the preview."""
    data = stream.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        preview = ImportPreview(file_errors=[_("The file is larger than %(size)s. Split it into several files.",
                                               size=size_text(MAX_UPLOAD_BYTES))])
    else:
        preview = parse_workbook(data)
    preview.filename = (filename or "")[:200]
    return preview


def parse_workbook(data: bytes) -> ImportPreview:
    """Check the headings and every row against the archive's rules. Never writes."""
    try:
        headings, raw_rows = _read_sheet(data)
    except _Unreadable as error:
        return ImportPreview(file_errors=[error.message])
    keys, heading_errors = _match_headings(headings)
    if heading_errors:
        return ImportPreview(file_errors=heading_errors)
    if not raw_rows:
        return ImportPreview(file_errors=[_("The file has the column headings but no customer rows.")])
    checker = _RowChecker()
    return ImportPreview(rows=[checker.check(number, keys, values) for number, values in raw_rows])


def _sniff(data: bytes) -> None:
    if not data.strip():
        raise _Unreadable(_("The file is empty."))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _Unreadable(_("This is an old Excel .xls file (or another old Office file). Open it in Excel, "
                            "choose Save As, and save it as an Excel workbook (.xlsx)."))
    if not data.startswith(b"PK\x03\x04"):
        raise _Unreadable(_("This is not an Excel .xlsx file (it looks like text, e.g. CSV). Open it in Excel, "
                            "choose Save As, and save it as an Excel workbook (.xlsx)."))


def _read_sheet(data: bytes) -> tuple[tuple, list[tuple[int, tuple]]]:
    _sniff(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it drops
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as error:  # BadZipFile, InvalidFileException, KeyError, XML errors: all "not xlsx"
            log.info("import: unreadable workbook: %r", error)
            raise _Unreadable(_("The file could not be read as an Excel workbook (.xlsx). Open it in Excel, "
                                "choose Save As, and save it as an Excel workbook (.xlsx).")) from None
        try:
            return _sheet_rows(workbook)
        except _Unreadable:
            raise
        except Exception as error:
            log.info("import: broken worksheet: %r", error)
            raise _Unreadable(_("The file could not be read as an Excel workbook (.xlsx). Open it in Excel, "
                                "choose Save As, and save it as an Excel workbook (.xlsx).")) from None
        finally:
            workbook.close()


def _sheet_rows(workbook) -> tuple[tuple, list[tuple[int, tuple]]]:
    sheet = workbook[DATA_SHEET] if DATA_SHEET in workbook.sheetnames else workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    headings = tuple(next(rows, None) or ())
    while headings and _text(headings[-1]) == "":
        headings = headings[:-1]
    if not headings:
        raise _Unreadable(_("The first sheet is empty: its first row must hold the column headings of the template."))
    found: list[tuple[int, tuple]] = []
    for number, values in enumerate(rows, start=2):
        if number > MAX_SHEET_ROWS:
            raise _Unreadable(_("The sheet has more than %(rows)d rows, empty ones included. Delete the empty rows "
                                "below your data, or split the file.", rows=MAX_SHEET_ROWS))
        if len(found) > MAX_ROWS:
            break
        if any(_text(value) for value in values or ()):
            found.append((number, tuple(values)))
    if len(found) > MAX_ROWS:
        raise _Unreadable(_("The file has more than %(rows)d rows. Split it into several files.", rows=MAX_ROWS))
    return headings, found


def _heading_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("*", "")
    return re.sub(r"\s+", "", text).casefold()


def _match_headings(headings: tuple) -> tuple[list[str | None], list[str]]:
    lookup = {_heading_key(variant): column.key for column in COLUMNS
              for variant in (column.header, column.label, column.zh, column.en)}
    keys: list[str | None] = []
    unknown, twice = [], []
    for heading in headings:
        text = _text(heading)
        key = lookup.get(_heading_key(text)) if text else None
        if text and key is None:
            unknown.append(text)
        elif key in keys and key is not None:
            twice.append(text)
            key = None
        keys.append(key)
    missing = [column.label for column in COLUMNS if column.key not in keys]
    errors = []
    if unknown:
        errors.append(_("Unknown column headings: %(names)s.", names="、".join(unknown)))
    if missing:
        errors.append(_("Missing columns: %(names)s.", names="、".join(missing)))
    if twice:
        errors.append(_("Columns given twice: %(names)s.", names="、".join(twice)))
    if errors:
        errors.append(_("The first row must hold the template's column headings, in any order: %(names)s. "
                        "Download the template and copy your data into it.",
                        names="、".join(column.header for column in COLUMNS)))
    return keys, errors


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _labelled(key: str | None, message: str) -> str:
    return f"{COLUMN[key].label}: {message}" if key else str(message)


class _RowChecker:
    """Checks rows one by one, remembering what earlier rows of the file hold."""

    def __init__(self):
        self.types = {t.name.strip().casefold(): t for t in services.product_types(include_inactive=True)}
        self.today = local_today()
        self.groups: dict[tuple[str, str], ImportRow] = {}
        self.phones: dict[str, tuple[tuple[str, str], int]] = {}
        self.serials: dict[tuple[int, str], int] = {}

    def check(self, number: int, keys: list[str | None], values: tuple) -> ImportRow:
        raw: dict[str, Any] = {}
        row = ImportRow(number=number, cells={})
        for index, value in enumerate(values):
            key = keys[index] if index < len(keys) else None
            if key is not None:
                raw[key] = value
            elif _text(value):
                row.errors.append(_("There is data in column %(column)s, which has no heading.",
                                    column=get_column_letter(index + 1)))
        row.cells = {column.key: _text(raw.get(column.key)) for column in COLUMNS}
        self._check_cells(row)
        phone, alt_phone = self._phones(row)
        self._customer(row, phone, alt_phone)
        row.unit = self._unit(row, raw.get("purchase_date"))
        self._group(row, phone, alt_phone)
        return row

    def _error(self, row: ImportRow, key: str | None, message: str) -> None:
        row.errors.append(_labelled(key, message))

    def _check_cells(self, row: ImportRow) -> None:
        for column in COLUMNS:
            value = row.cells[column.key]
            if column.required and not value:
                self._error(row, column.key, _("This cell is required."))
            elif column.max_length and len(value) > column.max_length:
                self._error(row, column.key, _("At most %(max)d characters.", max=column.max_length))

    def _phones(self, row: ImportRow) -> tuple[str, str]:
        normal = {}
        for key in ("phone", "alt_phone"):
            text = row.cells[key]
            normal[key] = ""
            if not text or (COLUMN[key].max_length and len(text) > COLUMN[key].max_length):
                continue
            try:
                normal[key] = phones.normalise(text).normal
            except phones.PhoneError as error:
                self._error(row, key, str(error.message))
                continue
            owner = services.phone_owner(normal[key])
            if owner is not None:
                self._error(row, key, _("This phone already belongs to customer %(number)s %(name)s.",
                                        number=owner.number, name=owner.name))
        if normal["alt_phone"] and normal["alt_phone"] == normal["phone"]:
            self._error(row, "alt_phone", _("The same phone is listed twice."))
        return normal["phone"], normal["alt_phone"]

    def _yes_no(self, row: ImportRow, key: str) -> bool:
        text = row.cells[key].casefold()
        if text in _YES_WORDS:
            return True
        if text not in _NO_WORDS:
            self._error(row, key, _("Write %(yes)s or %(no)s.", yes=YES, no=NO))
        return False

    def _customer(self, row: ImportRow, phone: str, alt_phone: str) -> None:
        kind_text = row.cells["kind"]
        kind = _KIND_ALIASES.get(kind_text.casefold(), None) if kind_text else CustomerKind.end_customer
        if kind is None:
            self._error(row, "kind", _("Write %(end)s or %(agent)s.", end=KIND_WORDS[CustomerKind.end_customer],
                                       agent=KIND_WORDS[CustomerKind.agent]))
        cells = row.cells
        row.customer = {"name": cells["name"], "is_organisation": self._yes_no(row, "is_organisation"),
                        "kind": (kind or CustomerKind.end_customer).value, "province": cells["province"],
                        "city": cells["city"], "district": cells["district"], "street": cells["street"],
                        "region": cells["region"], "key_customer": self._yes_no(row, "key_customer")}
        row.contact = {"name": cells["contact_name"], "phone": phone, "alt_phone": alt_phone}

    def _unit(self, row: ImportRow, raw_date: Any) -> dict[str, Any] | None:
        cells = row.cells
        if not any(cells[key] for key in UNIT_KEYS):
            return None
        unit: dict[str, Any] = {"model": cells["model"], "serial": cells["serial"], "notes": cells["notes"]}
        kind = self._product_type(row)
        unit["product_type_id"] = kind.id if kind else None
        unit["product_type"] = kind.name if kind else cells["product_type"]
        if not cells["serial"]:
            self._error(row, "serial", _("Enter the serial number."))
        elif kind is not None and len(cells["serial"]) <= 60:
            self._serial_free(row, kind.id, cells["serial"])
        bought = self._date(row, raw_date)
        unit["purchase_date"] = bought.isoformat() if bought else None
        unit["warranty_months"] = self._months(row)
        return unit

    def _product_type(self, row: ImportRow):
        name = row.cells["product_type"]
        if not name:
            self._error(row, "product_type", _("Fill in the product type, or leave all unit columns empty."))
            return None
        kind = self.types.get(name.casefold())
        if kind is None:
            self._error(row, "product_type", _("Unknown product type %(name)s. Use one from the list on the "
                                               "%(sheet)s sheet.", name=name, sheet=HELP_SHEET))
        elif not kind.active:
            self._error(row, "product_type", _("The product type %(name)s is no longer in use.", name=kind.name))
            return None
        return kind

    def _serial_free(self, row: ImportRow, type_id: int, serial: str) -> None:
        earlier = self.serials.setdefault((type_id, serial.casefold()), row.number)
        if earlier != row.number:
            self._error(row, "serial", _("Serial %(serial)s is already in row %(row)d.", serial=serial, row=earlier))
            return
        owner = services.serial_owner(product_type_id=type_id, serial=serial)
        if owner is not None:
            self._error(row, "serial", _("Serial %(serial)s is already registered to %(number)s %(name)s.",
                                         serial=owner.serial, number=owner.customer.number, name=owner.customer.name))

    def _date(self, row: ImportRow, value: Any) -> date | None:
        if _text(value) == "":
            self._error(row, "purchase_date", _("Enter the purchase or installation date."))
            return None
        day = None
        if isinstance(value, datetime):
            day = value.date()
        elif isinstance(value, date):
            day = value
        else:
            match = _DATE_TEXT.fullmatch(_text(value))
            try:
                day = date(*(int(part) for part in match.groups() if part is not None)) if match else None
            except ValueError:
                day = None
        if day is None:
            self._error(row, "purchase_date", _("Not a date: write YYYY-MM-DD, e.g. 2025-03-15."))
        elif day > self.today:
            self._error(row, "purchase_date", _("The date cannot be in the future."))
            day = None
        return day

    def _months(self, row: ImportRow) -> int | None:
        text = row.cells["warranty_months"]
        if not text:
            return None
        if not re.fullmatch(r"-?\d{1,4}", text):
            self._error(row, "warranty_months", _("A whole number of months, e.g. 12."))
            return None
        months = int(text)
        if not 0 <= months <= services.MAX_WARRANTY_MONTHS:
            self._error(row, "warranty_months", _("Between 0 and 120 months."))
            return None
        return months

    def _group(self, row: ImportRow, phone: str, alt_phone: str) -> None:
        key = (row.cells["name"], phone or row.cells["phone"])
        first = self.groups.get(key)
        if first is None:
            self.groups[key] = row
            row.group = len(self.groups)
            for number in (phone, alt_phone):
                if not number:
                    continue
                other_key, other_row = self.phones.setdefault(number, (key, row.number))
                if other_key != key:
                    self._error(row, "phone" if number == phone else "alt_phone",
                                _("Row %(row)d has the same phone for another customer. The rows of one customer "
                                  "need the same customer name and phone.", row=other_row))
            return
        row.group = first.group
        for name in CUSTOMER_KEYS:
            if row.cells[name] and _normal_cell(row, name) != _normal_cell(first, name):
                self._error(row, name, _("Differs from row %(row)d of the same customer (same customer name and "
                                         "phone).", row=first.number))


def _normal_cell(row: ImportRow, key: str) -> Any:
    if key in ("is_organisation", "kind", "key_customer"):
        return row.customer[key]
    if key == "contact_name":
        return row.contact["name"]
    if key == "alt_phone":
        return row.contact["alt_phone"] or row.cells["alt_phone"]
    return row.cells[key]


# --- committing ---------------------------------------------------------------------------------

def commit_import(preview: ImportPreview, *, actor: Any) -> int:
    """Create every customer and unit of a clean preview in the caller's transaction; return the
    number of customers. Any failure raises ValidationFailed (row errors added to the preview),
    and the caller rolls back, so the import is all or nothing."""
    if not preview.ok:
        raise ValidationFailed(_("Correct the file first: nothing was imported."))
    created = 0
    # Held here so the session's (weak) identity map keeps them: each unit then finds its type
    # without a query, and is inserted with its warranty end in one statement.
    kept_types = services.product_types(include_inactive=True)  # noqa: F841
    try:
        for rows in preview.groups():
            customer = _create_customer(rows, actor)
            if customer is None:
                continue
            created += 1
            for row in rows:
                if row.unit:
                    _create_unit(customer, row, actor)
    except IntegrityError:
        log.info("import: integrity error at commit", exc_info=True)
        raise ValidationFailed(_("Someone saved some of the same data meanwhile, so nothing was imported. "
                                 "Upload the file again to see what changed.")) from None
    failed = preview.bad_rows
    if failed:
        raise ValidationFailed(ngettext("%(num)d row failed when saving, so nothing was imported.",
                                        "%(num)d rows failed when saving, so nothing was imported.", len(failed)),
                               errors={f"row-{row.number}": list(row.errors) for row in failed})
    return created


def _service_messages(error: ValidationFailed) -> list[str]:
    if not error.errors:
        return [error.message]
    return [_labelled(_SERVICE_FIELDS.get(key), message) for key, messages in error.errors.items()
            for message in messages]


def _create_customer(rows: list[ImportRow], actor: Any) -> Customer | None:
    first = rows[0]
    values = dict(first.customer, kind=CustomerKind(first.customer["kind"]),
                  notes="\n".join(row.cells["notes"] for row in rows if not row.unit and row.cells["notes"]))
    contact = services.ContactInput(name=first.contact["name"], phone=first.contact["phone"],
                                    alt_phone=first.contact["alt_phone"])
    try:
        customer = services.customer_create(values=values, contacts=[contact], actor=actor)
    except ValidationFailed as error:
        first.errors.extend(_service_messages(error))
        return None
    set_committed_value(customer, "equipment", [])  # new: no units yet, so adding one needs no query
    return customer


def _create_unit(customer: Customer, row: ImportRow, actor: Any) -> None:
    unit = row.unit
    values = {"product_type_id": unit["product_type_id"], "model": unit["model"], "serial": unit["serial"],
              "purchase_date": date.fromisoformat(unit["purchase_date"]), "warranty_months": unit["warranty_months"],
              "agent_id": None, "notes": unit["notes"]}
    try:
        services.equipment_create(customer=customer, values=values, actor=actor)
    except ValidationFailed as error:
        row.errors.extend(_service_messages(error))


# --- where previews wait ------------------------------------------------------------------------

def imports_dir() -> Path:
    configured = current_app.config.get("IMPORT_DIR")
    path = Path(configured) if configured else Path(current_app.config["ARCHIVE_DIR"]).parent / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _path(token: str, suffix: str = ".json") -> Path:
    if not _TOKEN.match(token or ""):
        raise PreviewMissing(_missing_message())
    return imports_dir() / f"{token}{suffix}"


def _missing_message() -> str:
    return _("This import is no longer available: it was saved, cancelled, or is older than a day. "
             "Upload the file again.")


def _write(path: Path, preview: ImportPreview) -> None:
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    temporary.write_text(preview.to_json(), encoding="utf-8")
    os.replace(temporary, path)


def _sweep(folder: Path) -> None:
    limit = time.time() - PREVIEW_MAX_AGE_SECONDS
    for stale in folder.iterdir():
        try:
            if stale.stat().st_mtime < limit:
                stale.unlink()
        except OSError:
            pass


def save_preview(preview: ImportPreview, *, owner_id: int) -> str:
    _sweep(imports_dir())
    preview.owner_id = owner_id
    token = secrets.token_urlsafe(16)
    _write(_path(token), preview)
    return token


def _read(path: Path, owner_id: int) -> ImportPreview:
    try:
        preview = ImportPreview.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        raise PreviewMissing(_missing_message()) from None
    if preview.owner_id != owner_id:
        raise PreviewMissing(_missing_message())
    return preview


def load_preview(token: str, *, owner_id: int) -> ImportPreview:
    return _read(_path(token), owner_id)


def discard_preview(token: str, *, owner_id: int) -> None:
    path = _path(token)
    _read(path, owner_id)
    path.unlink(missing_ok=True)


@contextmanager
def claimed(token: str, *, owner_id: int) -> Iterator[ImportPreview]:
    """Hold the preview while it is committed: a second commit of the same token (a double click,
    another tab) finds nothing. When the block fails, the preview is put back with its errors;
    when it succeeds, the preview is gone."""
    path, busy = _path(token), _path(token, ".busy")
    preview = _read(path, owner_id)
    try:
        path.rename(busy)
    except FileNotFoundError:
        raise PreviewMissing(_missing_message()) from None
    try:
        yield preview
    except BaseException:
        _write(path, preview)
        raise
    finally:
        busy.unlink(missing_ok=True)


# --- export -------------------------------------------------------------------------------------

EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("number", "客户编号 (customer no.)"),
    *((c.key, c.label) for c in COLUMNS[:6]),
    ("more_contacts", "其他联系人 (more contacts)"),
    *((c.key, c.label) for c in COLUMNS[6:17]),
    ("warranty_ends_on", "保修截止 (warranty ends)"),
    ("customer_notes", "客户备注 (customer notes)"),
    ("unit_notes", "设备备注 (unit notes)"),
)
_EXPORT_WIDTHS = {"number": 18, "more_contacts": 28, "warranty_ends_on": 14, "customer_notes": 30, "unit_notes": 30}


def export_rows(filters: services.Filters) -> Iterator[dict[str, Any]]:
    """Every customer matching the list's filters (all pages): one row per unit, and one row for
    a customer without a unit. Values are str, int, date or None."""
    query = (services.customer_query(filters)
             .options(selectinload(Customer.contacts),
                      selectinload(Customer.equipment).selectinload(Equipment.product_type))
             .order_by(Customer.id))
    for customer in db.session.scalars(query):
        first = customer.contacts[0] if customer.contacts else None
        base = {"number": customer.number, "name": customer.name,
                "is_organisation": YES if customer.is_organisation else NO,
                "kind": KIND_WORDS[customer.kind], "contact_name": first.name if first else "",
                "phone": first.phone if first else "", "alt_phone": first.alt_phone if first else "",
                "more_contacts": "；".join(f"{c.name} {c.phone}" + (f" / {c.alt_phone}" if c.alt_phone else "")
                                          for c in customer.contacts[1:]),
                "province": customer.province, "city": customer.city, "district": customer.district,
                "street": customer.street, "region": customer.region,
                "key_customer": YES if customer.key_customer else NO, "customer_notes": customer.notes}
        for unit in customer.equipment or [None]:
            yield base | _unit_part(unit)


def _unit_part(unit: Equipment | None) -> dict[str, Any]:
    if unit is None:
        return {key: None for key in ("product_type", "model", "serial", "purchase_date", "warranty_months",
                                      "warranty_ends_on", "unit_notes")}
    return {"product_type": unit.product_type.name, "model": unit.model, "serial": unit.serial,
            "purchase_date": unit.purchase_date, "warranty_months": unit.effective_warranty_months,
            "warranty_ends_on": unit.warranty_ends_on, "unit_notes": unit.notes}


def export_xlsx(filters: services.Filters) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(DATA_SHEET)
    for index, (key, label) in enumerate(EXPORT_COLUMNS, start=1):
        width = _EXPORT_WIDTHS.get(key) or (COLUMN[key].width if key in COLUMN else 14)
        sheet.column_dimensions[get_column_letter(index)].width = max(width, 12)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_xlsx_cell(sheet, label, font=bold) for _key, label in EXPORT_COLUMNS])
    for row in export_rows(filters):
        sheet.append([_xlsx_cell(sheet, row.get(key)) for key, _label in EXPORT_COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(sheet, value: Any, *, font: Font | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text starting with "=" stays text, never a formula
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    if font is not None:
        cell.font = font
    return cell


def export_csv(filters: services.Filters) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([label for _key, label in EXPORT_COLUMNS])
    for row in export_rows(filters):
        writer.writerow([_csv_cell(row.get(key)) for key, _label in EXPORT_COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    # Excel runs a cell starting with these as a formula; a leading apostrophe keeps it text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def content_disposition(filename: str, ascii_fallback: str) -> str:
    """An attachment header with the UTF-8 name (RFC 5987) and a plain-ASCII one for old clients."""
    return f"attachment; filename=\"{ascii_fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def export_filename(fmt: str) -> tuple[str, str]:
    day = local_today().isoformat()
    return f"客户-{day}.{fmt}", f"customers-{day}.{fmt}"
