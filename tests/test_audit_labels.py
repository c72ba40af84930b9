"""Every audit action the code writes reads as words on the timeline, in both languages."""
import re
from pathlib import Path

from portal.core import templating

ROOT = Path(__file__).resolve().parents[1] / "portal"
LITERAL = re.compile(r'audit\.record\(\s*"([a-z_]+)\.([a-z_]+)"')


def _literal_actions() -> set[tuple[str, str]]:
    found = set()
    for path in ROOT.rglob("*.py"):
        found.update(LITERAL.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_written_action_has_a_label(app):
    from portal.archive.browse import DELIVERIES

    actions = _literal_actions() | {("archived_document", verb) for verb in DELIVERIES}
    assert len(actions) > 20
    missing = sorted(f"{entity}.{verb}" for entity, verb in actions
                     if verb not in templating.ACTION_LABELS
                     and verb not in templating.VALUE_NAMES.get(f"{entity}.state", {}))
    assert not missing, f"audit actions without a label: {missing}"


def test_a_state_name_wins_over_the_generic_verb(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert templating.action_label("repair_case.archived").startswith("→ ")
        assert templating.action_label("repair_receipt.archived") == "PDF archived"
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert templating.action_label("archived_document.downloaded") != "downloaded"
