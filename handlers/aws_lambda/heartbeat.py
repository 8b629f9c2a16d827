"""The heartbeat Lambda, every minute: once the store answers, a CloudWatch metric
(AwsMonitoringBot/Heartbeat) whose alarm, with missing data breaching, pages people
through SNS email when the beats stop; and a GET to HEARTBEAT_URL too, when it is set."""

from handlers.aws_lambda.wiring import scheduled

handler = scheduled("heartbeat")
