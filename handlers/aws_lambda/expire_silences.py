"""The expire_silences Lambda, every minute: alerts whose silence or maintenance window
began or ended are redrawn, an alert one held back is posted once it ends, and a
silence's thread is told 10 minutes before it ends and when it ends."""

from handlers.aws_lambda.wiring import scheduled

handler = scheduled("expire_silences")
