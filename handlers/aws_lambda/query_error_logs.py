"""The query_error_logs Lambda, hourly: the last full hour's error lines of LOG_GROUPS
(or of the schedule's {"log_groups": [...]}) published to EventBridge."""

from handlers.aws_lambda.wiring import scheduled

handler = scheduled("query_error_logs")
