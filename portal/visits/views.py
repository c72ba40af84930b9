from __future__ import annotations

from datetime import date

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core import audit, htmx
from portal.core.access import roles
from portal.core.pdf import pdf_response, render_pdf
from portal.core.timeutil import local_now, local_today, utcnow
from portal.core.web import attempt, done, form_status, get_or_404, safe_next
from portal.customers.models import Customer
from portal.visits import EDIT, READ, bp, forms, services
from portal.visits.models import FollowUp, Visit, VisitAction, VisitSchedule
from portal.visits.printing import followup_context, summary_context, visit_context

SHOW_CHOICES = ("due", "overdue", "all")


# --- the due list ------------------------------------------------------------------------------------

@bp.get("/")
@roles(READ)
def index():
    region = (request.args.get("region") or "").strip()[:30]
    show = request.args.get("show") if request.args.get("show") in SHOW_CHOICES else "due"
    return htmx.render("visits/index.html", "visits/_due_list.html", rows=services.due_list(region=region, show=show),
                       region=region, show=show, regions=services.key_regions(), today=local_today(),
                       unscheduled=services.unscheduled_key_customers(region=region),
                       recent=services.recent_visits(), actions=services.open_actions())


@bp.get("/customers/<int:customer_id>")
@roles(READ)
def customer(customer_id: int):
    customer = get_or_404(Customer, customer_id)
    schedule = services.schedule_for(customer)
    return htmx.render("visits/customer.html", customer=customer, schedule=schedule, today=local_today(),
                       visits=services.customer_visits(customer),
                       status=services.due_status(schedule) if schedule else None,
                       timeline=audit.timeline(schedule) if schedule else [])


# --- schedules ---------------------------------------------------------------------------------------

def _schedule_form(form: forms.ScheduleForm) -> forms.ScheduleForm:
    form.responsible_id.choices = [("", _("(nobody)"))] + [(u.id, u.display_name) for u in services.staff_choices()]
    return form


@bp.route("/customers/<int:customer_id>/schedule", methods=["GET", "POST"])
@roles(EDIT)
def schedule_new(customer_id: int):
    customer = get_or_404(Customer, customer_id)
    form = _schedule_form(forms.ScheduleForm(data={"starts_on": local_today(), "frequency": "quarterly"}
                                             if request.method == "GET" else None))
    outcome = attempt(form, lambda: services.schedule_create(customer=customer, values=form.values() | {"active": True},
                                                             actor=current_user))
    if outcome.ok:
        return done(url_for("visits.customer", customer_id=customer.id),
                    _("Visit schedule set up for %(name)s.", name=customer.name))
    return htmx.render("visits/schedule_form.html", form=form, customer=customer, schedule=None, conflict=None,
                       status=form_status(outcome))


@bp.route("/schedules/<int:schedule_id>", methods=["GET", "POST"])
@roles(EDIT)
def schedule_edit(schedule_id: int):
    schedule = get_or_404(VisitSchedule, schedule_id)
    form = _schedule_form(forms.ScheduleForm(obj=schedule if request.method == "GET" else None))
    outcome = attempt(form, lambda: services.schedule_update(schedule=schedule, values=form.values(),
                                                             expected_version=form.version.data, actor=current_user),
                      obj=schedule)
    if outcome.ok:
        return done(url_for("visits.customer", customer_id=schedule.customer_id), _("Changes saved."))
    return htmx.render("visits/schedule_form.html", form=form, customer=schedule.customer, schedule=schedule,
                       conflict=outcome.conflict, status=form_status(outcome))


# --- visit records -----------------------------------------------------------------------------------

def _visit_form(form: forms.VisitForm) -> forms.VisitForm:
    staff = services.staff_choices()
    form.visitor_ids.choices = [(u.id, f"{u.display_name}（{u.role.label}）") for u in staff]
    for row in form.actions:
        row.form.owner_id.choices = [("", "—")] + [(u.id, u.display_name) for u in staff]
    return form


def _unit_usage(customer: Customer) -> dict[int, str]:
    return {unit.id: request.form.get(f"unit_usage-{unit.id}", "")[:2000] for unit in customer.equipment}


@bp.route("/customers/<int:customer_id>/visits/new", methods=["GET", "POST"])
@roles(EDIT)
def visit_new(customer_id: int):
    customer = get_or_404(Customer, customer_id)
    form = _visit_form(forms.VisitForm(data={"visited_on": local_today(), "visitor_ids": [current_user.id]}
                                       if request.method == "GET" else None))
    outcome = attempt(form, lambda: services.visit_record(
        customer=customer, values=form.values(), visitor_ids=form.visitor_ids.data or [],
        unit_usage=_unit_usage(customer), actions=form.action_inputs(), actor=current_user))
    if outcome.ok:
        return done(url_for("visits.show", visit_id=outcome.result.id),
                    _("Visit %(number)s recorded.", number=outcome.result.number))
    return htmx.render("visits/visit_form.html", form=form, customer=customer, usage=request.form,
                       usage_open=any(_unit_usage(customer).values()), today_iso=local_today().isoformat(),
                       schedule=services.schedule_for(customer), status=form_status(outcome))


@bp.get("/<int:visit_id>")
@roles(READ)
def show(visit_id: int):
    visit = get_or_404(Visit, visit_id)
    return htmx.render("visits/show.html", visit=visit, today=local_today(), done_form=forms.ActionDoneForm(),
                       timeline=audit.timeline(visit))


@bp.get("/<int:visit_id>.pdf")
@roles(READ)
def pdf(visit_id: int):
    visit = get_or_404(Visit, visit_id)
    return pdf_response(render_pdf("print/visit_record.html", **visit_context(visit)), f"回访档案-{visit.number}.pdf")


@bp.post("/actions/<int:action_id>/done")
@roles(EDIT)
def action_done(action_id: int):
    action = get_or_404(VisitAction, action_id)
    form = forms.ActionDoneForm()
    if not form.validate_on_submit():
        abort(400)
    services.action_done(action=action, note=form.note.data or "", actor=current_user)
    return done(request.form.get("next") if (request.form.get("next") or "").startswith("/visits")
                else url_for("visits.show", visit_id=action.visit_id), _("Action marked done."))


# --- the monthly summary for the manager -------------------------------------------------------------

def _month() -> tuple[int, int, str | None]:
    """The month asked for (?month=2026-10), this month when absent, and a message when unreadable."""
    raw = (request.args.get("month") or "").strip()
    today = local_today()
    if not raw:
        return today.year, today.month, None
    try:
        picked = date.fromisoformat(f"{raw}-01")
    except ValueError:
        return today.year, today.month, _("Enter a month such as %(example)s.", example=today.strftime("%Y-%m"))
    if picked > today:
        return today.year, today.month, _("That month has not started yet; showing this month.")
    return picked.year, picked.month, None


@bp.get("/summary")
@roles(EDIT)
def summary():
    year, month, problem = _month()
    return htmx.render("visits/summary.html", summary=services.monthly_summary(year, month), problem=problem,
                       month_value=f"{year:04d}-{month:02d}", today=local_today(),
                       raw_month=request.args.get("month", ""))


@bp.get("/summary.pdf")
@roles(EDIT)
def summary_pdf():
    year, month, _problem = _month()
    context = summary_context(services.monthly_summary(year, month))
    return pdf_response(render_pdf("print/visit_summary.html", **context), f"走访汇总-{year:04d}-{month:02d}.pdf")


# --- follow-up calls after a service (回访记录) -------------------------------------------------------

@bp.get("/followups")
@roles(EDIT)
def followups():
    show = request.args.get("show") if request.args.get("show") in services.FOLLOWUP_SHOW else "due"
    return htmx.render("visits/followups.html", "visits/_followup_list.html", show=show, now=utcnow(),
                       rows=services.followup_queue(show=show), counts=services.followups_due_count(),
                       unreachable=services.unreachable_count())


def _followup_page(followup: FollowUp, form: forms.FollowUpForm, status: int = 200):
    back = safe_next(request.values.get("next"), url_for("visits.followups"))
    return htmx.render("visits/followup.html", "visits/_followup_form.html", followup=followup, form=form,
                       back=back, now=utcnow(), timeline=audit.timeline(followup), status=status)


@bp.route("/followups/<int:followup_id>", methods=["GET", "POST"])
@roles(EDIT)
def followup(followup_id: int):
    followup = get_or_404(FollowUp, followup_id)
    form = forms.FollowUpForm(data={"done_at": local_now().replace(second=0, microsecond=0, tzinfo=None)}
                              if request.method == "GET" else None)
    outcome = attempt(form, lambda: services.followup_record(followup=followup, **form.values(), actor=current_user))
    if outcome.ok:
        return done(safe_next(request.form.get("next"), url_for("visits.followups")),
                    services.outcome_message(followup), "success" if followup.state.value == "done" else "warning")
    return _followup_page(followup, form, form_status(outcome))


@bp.get("/followups/<int:followup_id>.pdf")
@roles(EDIT)
def followup_pdf(followup_id: int):
    followup = get_or_404(FollowUp, followup_id)
    return pdf_response(render_pdf("print/followup.html", **followup_context(followup)),
                        f"回访记录单-{followup.number}.pdf")
