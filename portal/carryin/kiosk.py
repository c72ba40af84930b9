"""Counter-kiosk adapters: a clerk sends the take-in (签认) or the hand-back (签章) of a goods
receipt to a paired counter tablet, where the customer signs it like a repair receipt."""
from __future__ import annotations

import base64
import io

from flask import url_for
from flask_babel import lazy_gettext as _l
from PIL import Image

from portal.archive import kiosks

THUMB_SIDE = 640


def kiosk_photos(goods) -> list[str]:
    """The take-in photos for the counter kiosk, which is not signed in and so cannot fetch the staff
    photo addresses: small JPEG thumbnails inline as data: URLs (the CSP allows data: images)."""
    thumbs = []
    for photo in goods.photos:
        with Image.open(io.BytesIO(photo.data)) as image:
            image.thumbnail((THUMB_SIDE, THUMB_SIDE))
            out = io.BytesIO()
            image.convert("RGB").save(out, format="JPEG", quality=80)
        thumbs.append(f"data:image/jpeg;base64,{base64.b64encode(out.getvalue()).decode()}")
    return thumbs


def _take_in_adapter() -> kiosks.Signable:
    from portal.carryin import services
    from portal.carryin.forms import TakeInSignForm
    from portal.carryin.models import GoodsState

    def sign(document, **kwargs):
        return services.goods_take_in(goods=document, **kwargs)

    return kiosks.Signable(
        label=_l("Goods receipt (客户商品领取收据)"), load=services.get_goods, form=TakeInSignForm,
        signable=lambda goods: goods.state is GoodsState.draft and not services.take_in_gaps(goods),
        template="carryin/_kiosk_take_in.html", sign=sign,
        intro=_l("Please check the items, their condition and the accessories, then sign to confirm the hand-over "
                 "to our workshop."),
        pdf_url=lambda goods: url_for("carryin.pdf", goods_id=goods.id),
        page_url=lambda goods: url_for("carryin.show", goods_id=goods.id))


def _return_adapter() -> kiosks.Signable:
    from portal.carryin import services
    from portal.carryin.forms import ReturnSignForm

    def sign(document, **kwargs):
        return services.goods_hand_back(goods=document, **kwargs)

    return kiosks.Signable(
        label=_l("Goods return (商品送还签收)"), load=services.get_goods, form=ReturnSignForm,
        signable=lambda goods: not services.hand_back_gaps(goods), template="carryin/_kiosk_return.html", sign=sign,
        intro=_l("Please check the unit and the accessories, read what was done and charged, then rate the service "
                 "and sign."),
        pdf_url=lambda goods: url_for("carryin.return_pdf", goods_id=goods.id),
        page_url=lambda goods: url_for("carryin.show", goods_id=goods.id))


kiosks.ADAPTERS["goods_receipt"] = _take_in_adapter
kiosks.ADAPTERS["goods_return"] = _return_adapter
