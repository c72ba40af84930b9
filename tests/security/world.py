"""A small dataset with records in the states whose pages offer each form, for the fuzz tests:
endpoints get real ids and reach their validation instead of stopping at 404 or 409.

Each part is built through the families' own services and test helpers; a part that fails (a
family changed its helpers) is reported by name in `World.problems` rather than hiding the rest.
Ids are looked up as "<endpoint>.<param>", then "<blueprint>.<param>", then "<param>"; a list
means several records (in different states) to try.
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any, Callable

from sqlalchemy import select

from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.core.roles import Role
from portal.core.timeutil import local_today, utcnow
from portal.extensions import db

PASSWORD = "secret-pass-1"


@dataclass
class World:
    users: dict[str, int] = field(default_factory=dict)  # role name → the signed-in user's id
    ids: dict[str, Any] = field(default_factory=dict)
    kiosk_token: str | None = None
    problems: list[str] = field(default_factory=list)

    def candidates(self, endpoint: str, param: str) -> list[Any]:
        blueprint = endpoint.split(".")[0]
        for key in (f"{endpoint}.{param}", f"{blueprint}.{param}", param):
            if key in self.ids:
                value = self.ids[key]
                return list(value) if isinstance(value, (list, tuple)) else [value]
        return []


def _user(role: Role, username: str) -> User:
    return accounts.user_create(username=username, display_name=f"测试{role.value}", role=role, password=PASSWORD)


def build() -> World:
    """Call inside an app context; commits."""
    world = World()
    ids = world.ids
    for role in Role:
        world.users[role.value] = _user(role, f"fuzz-{role.value}").id
    # The one the admin pages edit, never one signed in (an admin cannot disable themselves).
    ids["user_id"] = _user(Role.clerk, "fuzz-target").id
    db.session.commit()
    tech = db.session.get(User, world.users["technician"])
    admin = db.session.get(User, world.users["admin"])
    clerk = db.session.get(User, world.users["clerk"])
    manager = db.session.get(User, world.users["manager"])
    keeper = db.session.get(User, world.users["warehouse"])

    def part(name: str, make: Callable[[], None]) -> None:
        try:
            make()
            db.session.commit()
        except Exception:  # noqa: BLE001 - reported, the rest still built
            db.session.rollback()
            world.problems.append(f"{name}: {traceback.format_exc(limit=4)}")

    def customer():
        from portal.customers.models import Customer
        return db.session.get(Customer, ids["customer_id"])

    def settings():
        from portal.settings import services as settings_services
        if settings_services.get_settings().id is None:
            settings_services.settings_update(values={}, expected_version=None, actor=None)

    def customers():
        from portal.customers import excel, services
        from tests.customers import helpers
        owner = helpers.customer("张伟", "13812345678", key_customer=True, is_organisation=True, region="市南区")
        unit = helpers.unit(owner, "FUZZ-1")
        duplicate = helpers.customer("张伟饭店", "13912345678")
        kind = helpers.product_type()
        contract = services.contract_create(customer=owner, values={
            "equipment_ids": [unit.id], "start_date": local_today() - timedelta(days=10),
            "end_date": local_today() + timedelta(days=355), "parts_terms": "free", "parts_discount_pct": 0,
            "labour_terms": "free", "labour_fee": 0}, actor=clerk)
        item = services.report_mismatch(customer=owner, equipment=unit, field="address", description="地址不对",
                                        actor=tech)
        token = excel.save_preview(excel.parse_workbook(excel.template_workbook()), owner_id=clerk.id)
        ids.update({"customer_id": owner.id, "unit_id": unit.id, "contract_id": contract.id, "type_id": kind.id,
                    "customers.item_id": item.id, "token": token, "duplicate_id": duplicate.id})

    def cases():
        from tests.dispatch import helpers as dispatch_helpers
        waiting = dispatch_helpers.waiting_case(customer=customer())
        case, slip = dispatch_helpers.dispatched_case(tech.id, customer=customer())
        ids.update({"case_id": [case.id, waiting.id], "dispatch.new.case_id": waiting.id, "slip_id": slip.id})

    def parts():
        from tests.parts import helpers
        stock = helpers.part("点火针", stock=20)
        fee = helpers.fee("上门服务费")
        job = helpers.job(tech.id)
        requested = helpers.requisition(job, tech.id, [(stock, 1)])
        issued = helpers.issued(helpers.job(tech.id), tech.id, [(stock, 2)], keeper=keeper)
        from portal.parts import services
        reported = helpers.issued(helpers.job(tech.id), tech.id, [(stock, 2)], keeper=keeper)
        services.requisition_report_use(requisition=reported, used={line.id: 1 for line in reported.lines},
                                        returned={line.id: 1 for line in reported.lines}, actor=tech)
        ids.update({"part_id": stock.id, "fee_id": fee.id, "requisition_id": [requested.id, issued.id, reported.id],
                    "parts.case_id": job.id})

    def receipts():
        from portal.receipts import services
        from portal.parts.models import FeeItem
        from portal.receipts.models import Collection
        from tests.archive import helpers
        from tests.receipts import helpers as receipt_helpers
        ready = helpers.ready_receipt(tech.id)
        unsent = helpers.ready_receipt(tech.id)
        job = receipt_helpers.job(tech.id)
        draft = services.receipt_open(case=job, actor=tech)
        fee = db.session.scalar(select(FeeItem).order_by(FeeItem.id)) or receipt_helpers.fee()
        line = services.receipt_set_fee(receipt=draft, fee_item=fee, quantity=1, actor=tech)
        fresh = receipt_helpers.job(tech.id)  # on site, no receipt yet
        collection = Collection(receipt_id=ready.id, technician_id=tech.id, amount=Decimal("50.00"),
                                due_on=local_today(), note="")
        db.session.add(collection)
        db.session.flush()
        ids.update({"receipt_id": [draft.id, ready.id], "line_id": line.id, "receipts.item_id": collection.id,
                    "receipts.case_id": [fresh.id, ready.case_id], "kiosk_receipt_id": unsent.id,
                    "ready_receipt_id": ready.id})
        # The case page offers "open a receipt" (fresh) and "hand over" (ready) on these.
        ids["case_id"] = [*ids.get("case_id", []), fresh.id, ready.case_id]

    def signed():
        """A receipt signed: an archived document with a number to verify, and a follow-up call."""
        from portal.archive.models import ArchivedDocument
        from portal.receipts import services
        from tests.archive import helpers
        from tests.carryin.helpers import sign_kwargs
        receipt = helpers.ready_receipt(tech.id)
        services.receipt_sign(receipt=receipt, rating=5, **sign_kwargs(tech))
        document = db.session.scalar(select(ArchivedDocument).order_by(ArchivedDocument.id.desc()))
        ids.update({"number": document.number, "archive.document_id": document.id})
        ids["receipt_id"] = [*ids.get("receipt_id", []), receipt.id]
        try:
            from portal.visits.models import FollowUp
        except ImportError:
            return
        followup = db.session.scalar(select(FollowUp).order_by(FollowUp.id.desc()))
        if followup is not None:
            ids["followup_id"] = followup.id

    def kiosk():
        from portal.archive import kiosks
        device, token = kiosks.kiosk_pair(name="前台平板1", actor=admin)
        sent = kiosks.kiosk_send(kiosk=device, document_type="repair_receipt",
                                 document_id=ids["ready_receipt_id"], actor=clerk)
        world.kiosk_token = token
        ids.update({"kiosk_id": device.id, "request_id": sent.id, "document_type": "repair_receipt",
                    "archive.kiosk_send.document_id": ids["kiosk_receipt_id"],
                    "archive.kiosk_sign.document_id": ids["ready_receipt_id"],
                    "archive.kiosk_cancel.document_id": ids["ready_receipt_id"]})

    def carryin():
        """One goods receipt in each state whose page offers a form."""
        from portal.carryin import services
        from tests.carryin import helpers
        from tests.receipts import helpers as receipt_helpers
        draft = helpers.draft(tech.id)
        helpers.answer_all(draft, tech)  # complete: the take-in signature form is offered
        signable = helpers.draft(tech.id)  # the same, kept for the take-in (the draft's own form edits the other)
        helpers.answer_all(signable, tech)
        taken = helpers.taken_in(tech.id)  # not started yet
        working = helpers.taken_in(tech.id)
        services.goods_start_repair(goods=working, actor=tech)
        entry = services.labour_add(goods=working, worked_on=local_today(), hours="1.5", work="更换点火针", actor=tech)
        repaired = helpers.taken_in(tech.id)
        services.goods_start_repair(goods=repaired, actor=tech)
        services.labour_add(goods=repaired, worked_on=local_today(), hours="1", work="清理", actor=tech)
        services.goods_mark_repaired(goods=repaired, actor=tech)
        back = helpers.ready_for_hand_back(tech.id, manager.id)
        open_case = receipt_helpers.job(tech.id)  # on site, no goods receipt yet
        ids.update({"goods_id": [draft.id, taken.id, working.id, repaired.id, back.id], "entry_id": entry.id,
                    "carryin.labour_remove.goods_id": working.id, "carryin.labour.goods_id": working.id,
                    "carryin.take_in.goods_id": signable.id, "carryin.take_in_handover.goods_id": signable.id,
                    "carryin.number": working.number, "carryin.open_for_case.case_id": open_case.id})

    def returns():
        from portal.returns.models import ReturnState
        from tests.returns import helpers
        slips = [helpers.slip_in(state, actor=clerk, serial=f"RS-{n}")
                 for n, state in enumerate((ReturnState.requested, ReturnState.approved, ReturnState.received,
                                            ReturnState.inspected, ReturnState.resolved))]
        ids["returns.slip_id"] = [slip.id for slip in slips]

    def visits():
        from portal.visits import services
        from tests.visits import helpers
        schedule = helpers.schedule(customer(), responsible=tech)
        visit = services.visit_record(customer=customer(), values={
            "visited_on": local_today() - timedelta(days=1), "equipment_usage": "运行正常", "design_opinion": "",
            "assembly_opinion": "", "process_opinion": "", "other_feedback": "", "people_met": "王厨师长",
            "other_visitors": "", "followup_needed": True}, visitor_ids=[tech.id],
            actions=[services.ActionInput(description="更换旋钮", owner_id=tech.id, due_on=local_today())],
            actor=clerk)
        ids.update({"schedule_id": schedule.id, "visit_id": visit.id, "action_id": visit.actions[0].id})

    def complaints():
        from portal.complaints import services
        from portal.complaints.models import ResponsibleKind
        from portal.repairs.models import Channel

        def register(content):
            return services.complaint_register(customer=customer(), values={
                "channel": Channel.call, "received_at": utcnow() - timedelta(hours=1), "complainant": "张先生",
                "content": content, "case_id": None, "caused_by_service": False}, staff_ids=[tech.id], actor=clerk)
        received = register("师傅上门迟到两小时")
        proposed = register("收费不清楚")
        findings = {"responsible_kind": ResponsibleKind.person, "responsible_party": "", "responsible_user_id": tech.id,
                    "notes": "核实属实"}
        services.complaint_investigate(complaint=proposed, actor=manager, **findings)
        services.complaint_propose(complaint=proposed, solution="退还上门费", caused_by_service=True, actor=manager,
                                   **findings)
        answered = register("配件价格太高")
        services.complaint_investigate(complaint=answered, actor=manager, **findings)
        services.complaint_propose(complaint=answered, solution="按保内价格收费", caused_by_service=False,
                                   actor=manager, **findings)
        services.complaint_record_opinion(complaint=answered, satisfied=True, opinion="", actor=clerk)
        ids["complaint_id"] = [received.id, proposed.id, answered.id]
        ids["pages"] = [*ids.get("pages", []), f"/complaints/new?customer_id={customer().id}"]

    for name, make in (("settings", settings), ("customers", customers), ("cases", cases), ("parts", parts),
                       ("receipts", receipts), ("signed", signed), ("kiosk", kiosk), ("carryin", carryin),
                       ("returns", returns), ("visits", visits), ("complaints", complaints)):
        part(name, make)
    return world
