"""Access logs without personal data.

The portal's own log lines name records by id or document number only. The request lines the web
server logs are the gap: searches put names and phone numbers in the query string
(/customers/?q=13812345678). Werkzeug's development server and gunicorn's access log both log
through the standard `logging` module, so a filter on their loggers keeps every parameter's name
and replaces its value: `GET /customers/?q=*** HTTP/1.1`. Paths carry ids and numbers only.
"""
from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping

MASK = "***"
# Loggers that print request lines: werkzeug's dev server, gunicorn's access log.
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access")
# gunicorn's access-log atoms that are a query string without its "?" (the rest, e.g. the request
# line %(r)s, the referrer %(f)s or a header, are masked wherever they hold "?").
_BARE_QUERY_ATOMS = ("q", "{query_string}e")
_QUERY = re.compile(r"\?([^\s\"']*)")


def mask_query(text: str) -> str:
    """`GET /x?q=张伟&page=2 HTTP/1.1` → `GET /x?q=***&page=*** HTTP/1.1`."""
    def masked(match: re.Match) -> str:
        pairs = (pair.split("=", 1)[0] + (f"={MASK}" if "=" in pair else "")
                 for pair in match.group(1).split("&"))
        return "?" + "&".join(pairs)
    return _QUERY.sub(masked, text)


def _mask_bare_query(text: str) -> str:
    # gunicorn's %(q)s atom is the query string without its "?".
    return mask_query(f"?{text}")[1:] if text and text != "-" else text


class QueryStringMask(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, MutableMapping):  # gunicorn: one dict of atoms
            for key in list(args.keys()):
                value = args[key]
                if not isinstance(value, str):
                    continue
                if key in _BARE_QUERY_ATOMS:
                    args[key] = _mask_bare_query(value)
                elif "?" in value:
                    args[key] = mask_query(value)
        elif isinstance(args, tuple):
            record.args = tuple(mask_query(arg) if isinstance(arg, str) else arg for arg in args)
        elif isinstance(record.msg, str) and not args:
            record.msg = mask_query(record.msg)
        return True


_FILTER = QueryStringMask()


def install() -> None:
    """Idempotent: one filter per logger, however many apps a process creates."""
    for name in REQUEST_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
