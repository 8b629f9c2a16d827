"""The refresh_accounts Lambda, hourly: the organisation's account names and tags (AWS
Organizations) read into the cache that messages and routes use."""

from handlers.aws_lambda.wiring import scheduled

handler = scheduled("refresh_accounts")
