"""The check_agents Lambda, on a schedule: stale agents, and agents without a running
ECS task, open alerts; recovered ones resolve them."""

from handlers.aws_lambda.wiring import scheduled

handler = scheduled("check_agents")
