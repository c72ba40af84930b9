"""Hand-over mode (portal/core/handover.py) for the goods receipt: the staff member's own tablet,
locked to the customer's take-in signature (签认) or hand-back signature (签章) of one unit."""
from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l

from portal.carryin import SIGNERS, bp, services
from portal.carryin.models import GoodsReceipt, GoodsState
from portal.core import handover, signing
from portal.core.access import roles
from portal.core.web import get_or_404


def _check_take_in(goods: GoodsReceipt, actor: Any) -> None:
    services.ensure_can_see(goods, actor)
    services.ensure_signable(goods)


def _check_hand_back(goods: GoodsReceipt, actor: Any) -> None:
    services.ensure_can_see(goods, actor)
    services.ensure_can_hand_back(goods)


def _page(goods: GoodsReceipt) -> str:
    return url_for("carryin.show", goods_id=goods.id)


handover.register(services.DOC_RECEIPT, handover.Kind(
    name=_l("Goods receipt"), id_arg="goods_id", load=services.get_goods, check=_check_take_in,
    sign_endpoint="carryin.take_in", is_signed=lambda goods: goods.state not in (GoodsState.draft, GoodsState.cancelled),
    signature=lambda goods: signing.signature_for(services.DOC_RECEIPT, goods.id), staff_url=_page,
    also_open=frozenset({"carryin.photo"})))
handover.register(services.DOC_RETURN, handover.Kind(
    name=_l("Goods return"), id_arg="goods_id", load=services.get_goods, check=_check_hand_back,
    sign_endpoint="carryin.hand_back", is_signed=lambda goods: goods.state is GoodsState.returned,
    signature=lambda goods: signing.signature_for(services.DOC_RETURN, goods.id), staff_url=_page))


@bp.post("/<int:goods_id>/take-in/handover")
@roles(SIGNERS)
def take_in_handover(goods_id: int):
    return handover.start(services.DOC_RECEIPT, get_or_404(GoodsReceipt, goods_id))


@bp.post("/<int:goods_id>/hand-back/handover")
@roles(SIGNERS)
def hand_back_handover(goods_id: int):
    return handover.start(services.DOC_RETURN, get_or_404(GoodsReceipt, goods_id))
