import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from portal.core.models import NumberSequence
from portal.core.numbering import format_number, next_number
from portal.extensions import db as _db


def test_format():
    assert format_number("BX", 2026, 123) == "BX-2026-000123"


def test_sequence_per_prefix_and_year(db):
    at = datetime(2026, 5, 1, tzinfo=timezone.utc)
    assert next_number("BX", at=at) == "BX-2026-000001"
    assert next_number("BX", at=at) == "BX-2026-000002"
    assert next_number("PG", at=at) == "PG-2026-000001"
    assert next_number("BX", at=datetime(2027, 1, 1, 8, tzinfo=timezone.utc)) == "BX-2027-000001"
    db.commit()


def test_rolled_back_number_is_reused_so_there_is_no_gap(db):
    at = datetime(2026, 5, 1, tzinfo=timezone.utc)
    assert next_number("BX", at=at) == "BX-2026-000001"
    db.commit()
    assert next_number("BX", at=at) == "BX-2026-000002"
    db.rollback()
    assert next_number("BX", at=at) == "BX-2026-000002"
    db.commit()


def test_bad_prefix_refused(db):
    with pytest.raises(ValueError):
        next_number("bx'; --")


def test_concurrent_requests_get_distinct_gap_free_numbers(app):
    threads_count, per_thread = 8, 25
    results: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(threads_count)

    def worker():
        try:
            start.wait()
            for _ in range(per_thread):
                with app.app_context():
                    number = next_number("CC")
                    _db.session.commit()
                with lock:
                    results.append(number)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    total = threads_count * per_thread
    assert len(results) == len(set(results)) == total
    assert sorted(int(n.rsplit("-", 1)[1]) for n in results) == list(range(1, total + 1))
    with app.app_context():
        row = _db.session.scalar(select(NumberSequence).where(NumberSequence.prefix == "CC"))
        assert row.last_value == total
