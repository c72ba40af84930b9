"""Carry-in workshop repairs (W2): goods receipt, in/out register, repair card, inspection and hand-back."""
from flask import Blueprint, url_for
from flask_babel import lazy_gettext as _l

from portal.core import nav, templating
from portal.core.roles import Role
from portal.carryin.models import GoodsState
from portal.repairs.actions import Step, register_link, register_section
from portal.repairs.models import CaseState

bp = Blueprint("carryin", __name__, url_prefix="/carryin")

READ = frozenset({Role.clerk, Role.manager, Role.technician, Role.warehouse})
OFFICE = frozenset({Role.clerk, Role.manager})
SIGNERS = frozenset({Role.clerk, Role.manager, Role.technician})

nav.add("carryin.index", _l("Workshop"), READ, order=12)
nav.add("carryin.walk_in", _l("Walk-in (到店)"), OFFICE, order=13)

templating.describe_fields(
    {"accessories": _l("Accessories handed over"), "condition_note": _l("Condition remarks"),
     "shelf": _l("Shelf location"), "technician_id": _l("Technician"), "checks": _l("Condition checks"),
     "workshop_overdue_days": _l("Highlight units in the workshop longer than (days)")})
templating.describe_fields({}, {"state": GoodsState}, entity="goods_receipt")
templating.describe_actions({
    "goods_receipt_opened": _l("goods receipt opened"), "item_added": _l("item added"),
    "item_removed": _l("item removed"), "photo_added": _l("photo added"), "photo_removed": _l("photo removed"),
    "shelved": _l("shelved"), "labour_added": _l("repair time recorded"), "labour_removed": _l("repair time removed"),
    "inspection_failed": _l("inspection not passed"), "return_archived": _l("return signed and archived"),
    "checklist_changed": _l("condition checklist changed"), "card_printed": _l("repair card printed"),
})
templating.DOCUMENT_TYPES["goods_receipt"] = _l("Goods receipt (客户商品领取收据)")
templating.DOCUMENT_TYPES["goods_return"] = _l("Goods return (商品送还签收)")
for _type in ("goods_receipt", "goods_return"):  # both are signed on the goods receipt's page
    templating.register_source(_type, lambda goods_id: url_for("carryin.show", goods_id=goods_id),
                               _l("The goods receipt"))


def _open_url(case) -> str:
    return url_for("carryin.open_for_case", case_id=case.id)


# Not repairable on site (or the customer brings the unit in): take it to the workshop.
register_link(Step(target=CaseState.in_workshop, label=_l("Not repairable on site: take the unit to the workshop"),
                   roles=frozenset({Role.technician}), url=_open_url, own_job_only=True,
                   from_states=frozenset({CaseState.on_site})))
register_link(Step(target=CaseState.in_workshop, label=_l("Take the unit into the workshop"), roles=OFFICE,
                   url=_open_url,
                   from_states=frozenset({CaseState.on_site, CaseState.waiting_dispatch, CaseState.registered})))
register_section("carryin/_case_section.html")

from portal.carryin import kiosk  # noqa: E402,F401  (counter-kiosk adapters)
from portal.carryin import handover  # noqa: E402,F401  (the staff tablet handed to the customer)
from portal.carryin import views  # noqa: E402,F401


@bp.app_context_processor
def _case_goods():
    from portal.carryin.kiosk import kiosk_photos
    from portal.carryin.services import case_receipt, goods_for_case
    return {"case_goods": goods_for_case, "goods_receipt_to_sign": case_receipt, "kiosk_goods_photos": kiosk_photos}
