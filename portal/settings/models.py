from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.models import TimestampMixin, VersionedMixin
from portal.extensions import db

# Defaults come from the stove maker's rules in the seeds (forms catalogue §3.1, §3.7).
DEFAULTS = {
    "company_name": "谁与争锋节能灶具有限公司",
    "company_address": "",
    "hotline": "400-000-0000",
    "hotline_greeting": "您好！谁与争锋节能灶具，请问您需要什么帮助？",
    "answer_limit_minutes": 10,
    "dispatch_limit_minutes": 10,
    "onsite_limit_hours": 3,
    "followup_after_service_hours": 24,
    "followup_after_guidance_hours": 3,
    "complaint_reply_days": 7,
    "ontime_target_pct": Decimal("90"),
    "satisfaction_target_pct": Decimal("85"),
    "complaint_rate_max_pct": Decimal("3"),
    "workshop_overdue_days": 7,
}


class DepartmentSettings(TimestampMixin, VersionedMixin, db.Model):
    """One row: the department's letterhead and its time limits and targets."""
    __tablename__ = "department_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_name: Mapped[str] = mapped_column(String(100), default=DEFAULTS["company_name"])
    company_address: Mapped[str] = mapped_column(String(200), default="")
    hotline: Mapped[str] = mapped_column(String(40), default=DEFAULTS["hotline"])
    hotline_greeting: Mapped[str] = mapped_column(Text, default=DEFAULTS["hotline_greeting"])
    answer_limit_minutes: Mapped[int] = mapped_column(Integer, default=10)
    dispatch_limit_minutes: Mapped[int] = mapped_column(Integer, default=10)
    onsite_limit_hours: Mapped[int] = mapped_column(Integer, default=3)
    followup_after_service_hours: Mapped[int] = mapped_column(Integer, default=24)
    followup_after_guidance_hours: Mapped[int] = mapped_column(Integer, default=3)
    complaint_reply_days: Mapped[int] = mapped_column(Integer, default=7)
    ontime_target_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("90"))
    satisfaction_target_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("85"))
    complaint_rate_max_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("3"))
    # A carried-in unit still in the workshop after this many days is highlighted on the register.
    workshop_overdue_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
