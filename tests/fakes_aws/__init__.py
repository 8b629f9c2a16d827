"""Local fakes of the AWS APIs the enrichments read that moto does not serve faithfully:
CloudWatch's GetMetricWidgetImage and ListTagsForResource (cloudwatch.py), Logs Insights
and DescribeMetricFilters (logs.py). The fixtures (fixtures.py, a plugin of every suite)
start each once a session and point botocore at it."""
