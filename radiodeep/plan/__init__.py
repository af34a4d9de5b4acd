"""The cohort plan: settings derived from the cohort's own fingerprint (nnU-Net's idea), written
to ``results/plan.json`` before any model; a value the user sets wins and is recorded as set."""

from radiodeep.plan.stage import AUTO, make_plan, plan_cohort, planned

__all__ = ["AUTO", "make_plan", "plan_cohort", "planned"]
