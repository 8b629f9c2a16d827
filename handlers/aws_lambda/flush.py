"""The flush Lambda, on a one-minute EventBridge schedule: nothing on AWS fires a timer, so
Slack work held back (coalesced edits and replies, posts the rate budget deferred, posts
to retry) and storms that are over are done here, or by the next event of the same alert,
whichever comes first. Silences that ended are the expire_silences function's."""

from handlers.aws_lambda.wiring import scheduled

handler = scheduled("flush")
