"""Substring search over 100 000+ customers that answers in milliseconds.

LIKE '%x%' reads every row, so each customer's search text is also cut into n-grams (trigrams
for letters and digits, bigrams for Chinese) stored in a full-text index: the SQLite FTS5 table
`customer_fts`, or the table `customer_search` with a GIN-indexed tsvector on PostgreSQL. A
query becomes a phrase of its own n-grams (a substring of the text is a run of adjacent n-grams),
or a prefix when it is shorter than one n-gram. The index narrows the candidates; the LIKE on
`customer.search_text` then keeps the match exact.

Both index tables are created by the migration, outside the ORM metadata.
"""
from __future__ import annotations

import re
from typing import Iterable

from sqlalchemy import text

from portal.extensions import db

LATIN_N = 3
CJK_N = 2
SEPARATOR = "qqqq"  # four letters: no query n-gram can equal it, so phrases never join two parts
INDEX_TABLES = frozenset({"customer_fts", "customer_search"})
_RUNS = re.compile(r"[0-9a-z]+|[\u3400-\u9fff\uf900-\ufaff]+")


def search_text_from(number: str, name: str, address: str, region: str,
                     contacts: Iterable[tuple[str, str, str, str]], units: Iterable[tuple[str, str]]) -> str:
    """The customer's search text from plain values: contacts as (name, title, phone, alt_phone),
    units as (serial, model). Phones appear as stored and as digits only."""
    parts = [number, name, address, region]
    for contact_name, title, phone, alt_phone in contacts:
        for value in (phone, alt_phone):
            if value:
                parts += [value, "".join(ch for ch in value if ch.isdigit())]
        parts += [contact_name, title]
    for serial, model in units:
        parts += [serial, model]
    return " | ".join(p for p in parts if p).lower()


def is_index_table(name: str) -> bool:
    return name in INDEX_TABLES or name.startswith("customer_fts_")


def _grams(run: str) -> list[str]:
    n = CJK_N if run[0] >= "\u3400" else LATIN_N
    # Every position starts a gram; the last ones are shorter, so prefixes of any tail match too.
    return [run[i:i + n] for i in range(len(run))]


def tokens_for(search_text: str) -> list[str]:
    tokens: list[str] = []
    for part in search_text.lower().split(" | "):
        for run in _RUNS.findall(part):
            tokens.extend(_grams(run))
        tokens.append(SEPARATOR)
    return tokens


def _query_runs(term: str) -> list[tuple[list[str], bool]]:
    """(grams, is_prefix) for every run in a search term. Short runs become prefixes, but only
    when the term has no full-length run: "rq" in RQ-2021-0159 would match half the archive and
    only slow the index down, while the LIKE recheck keeps the result exact anyway."""
    runs = []
    for run in _RUNS.findall(term.lower()):
        n = CJK_N if run[0] >= "\u3400" else LATIN_N
        if len(run) < n:
            runs.append(([run], True))
        else:
            runs.append(([run[i:i + n] for i in range(len(run) - n + 1)], False))
    if any(not prefix for _grams, prefix in runs):
        runs = [run for run in runs if not run[1]]
    return runs


def _fts5_query(terms: Iterable[str]) -> str | None:
    clauses = []
    for term in terms:
        for grams, prefix in _query_runs(term):
            quoted = " ".join(grams)
            clauses.append(f'"{quoted}"*' if prefix else f'"{quoted}"')
    return " AND ".join(clauses) or None


def _tsquery(terms: Iterable[str]) -> str | None:
    clauses = []
    for term in terms:
        for grams, prefix in _query_runs(term):
            if prefix:
                clauses.append(f"'{grams[0]}':*")
            else:
                clauses.append("(" + " <-> ".join(f"'{g}'" for g in grams) + ")")
    return " & ".join(clauses) or None


def _tsvector(tokens: list[str]) -> str:
    positions: dict[str, list[int]] = {}
    for index, token in enumerate(tokens[:16000], start=1):  # tsvector positions stop at 16383
        positions.setdefault(token, []).append(index)
    return " ".join(f"'{token}':{','.join(map(str, spots))}" for token, spots in positions.items())


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def candidate_ids(terms: list[str]):
    """A subquery of customer ids whose n-grams contain every term, or None when no term has any
    letter, digit or Chinese character (the caller then relies on LIKE alone)."""
    if _dialect() == "postgresql":
        query = _tsquery(terms)
        return None if query is None else text(
            "SELECT customer_id FROM customer_search WHERE tokens @@ CAST(:ts AS tsquery)").bindparams(ts=query)
    query = _fts5_query(terms)
    return None if query is None else text(
        "SELECT rowid FROM customer_fts WHERE customer_fts MATCH :fts").bindparams(fts=query)


def store(rows: Iterable[tuple[int, str]]) -> None:
    """Index (customer_id, search_text) pairs, replacing what was there."""
    rows = list(rows)
    if not rows:
        return
    if _dialect() == "postgresql":
        db.session.execute(text(
            "INSERT INTO customer_search (customer_id, tokens) VALUES (:id, CAST(:tokens AS tsvector)) "
            "ON CONFLICT (customer_id) DO UPDATE SET tokens = EXCLUDED.tokens"),
            [{"id": cid, "tokens": _tsvector(tokens_for(body))} for cid, body in rows])
    else:
        db.session.execute(text("INSERT OR REPLACE INTO customer_fts (rowid, tokens) VALUES (:id, :tokens)"),
                           [{"id": cid, "tokens": " ".join(tokens_for(body))} for cid, body in rows])


def remove(customer_id: int) -> None:
    if _dialect() == "postgresql":
        db.session.execute(text("DELETE FROM customer_search WHERE customer_id = :id"), {"id": customer_id})
    else:
        db.session.execute(text("DELETE FROM customer_fts WHERE rowid = :id"), {"id": customer_id})
