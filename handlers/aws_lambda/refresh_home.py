"""The refresh_home Lambda, on a schedule: the Home tabs opened within the last hour,
published again when what they show changed."""

from handlers.aws_lambda.wiring import scheduled

handler = scheduled("refresh_home")
