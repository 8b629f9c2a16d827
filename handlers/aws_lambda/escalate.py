"""The escalate Lambda, on a schedule: reminders of CRITICAL and HIGH alerts nobody has
acknowledged after ESCALATE_AFTER, and again after twice that; or, for a route with an
escalation ladder, its steps (docs/alerts.md#escalation-ladders)."""

from handlers.aws_lambda.wiring import scheduled

handler = scheduled("escalate")
