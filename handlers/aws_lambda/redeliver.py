"""The redeliver Lambda, every minute: Slack work that failed before (posts, edits and
replies whose earlier attempt Slack did not take) is tried again, after looking for a
post whose answer was lost. The flush function does the same and more (coalesced work,
storms); this one runs with a longer timeout for a backlog after a Slack outage, and the
records' claims keep the two from doing one thing twice."""

from handlers.aws_lambda.wiring import scheduled

handler = scheduled("redeliver")
