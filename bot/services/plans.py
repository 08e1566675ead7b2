"""Forms a counsellor calls up in a case topic and fills in from the case: a safety plan, a
care plan (分人分类关爱方案, 民发〔2023〕61号) and a home-visit checklist for the four stressors
the policy names. The forms are content (content/templates/staff/); this only picks one and
prefills what the case already knows."""

from __future__ import annotations

from bot.domain.cases import Case
from bot.domain.replies import Reply

PLANS = {"safety": "staff/plan_safety", "care": "staff/plan_care"}
VISIT = "staff/visit"


def _case_data(case: Case) -> dict[str, object]:
    return {
        "code": case.code,
        "tier": case.tier.value,
        "icon": case.tier.icon,
        "categories": list(case.categories),
    }


def plan_form(case: Case, args: str) -> Reply:
    """`/plan safety|care`: the form, or how to ask for one."""
    template = PLANS.get(args.strip().lower())
    return Reply(template, _case_data(case)) if template else Reply("staff/plan_usage")


def visit_form(case: Case) -> Reply:
    """`/visit`: the home-visit checklist."""
    return Reply(VISIT, _case_data(case))
