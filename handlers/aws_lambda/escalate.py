"""The escalate Lambda, on a schedule: reminders of CRITICAL and HIGH alerts nobody has
acknowledged after ESCALATE_AFTER, and again after twice that."""

from handlers.aws_lambda.wiring import scheduled

handler = scheduled("escalate")
