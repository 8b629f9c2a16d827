"""The expire_silences Lambda, every minute: alerts whose silence began or ended are
redrawn, and an alert a silence held back is posted once it ends."""

from handlers.aws_lambda.wiring import scheduled

handler = scheduled("expire_silences")
