"""The daily_report Lambda, on an EventBridge schedule (cron(0 1 * * ? *)): the previous
UTC day's report, posted once. Invoked by hand with {"date": "YYYY-MM-DD", "force": true}
it reports that day, again if forced."""

from handlers.aws_lambda.wiring import scheduled

handler = scheduled("daily_report")
