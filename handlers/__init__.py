"""The driving side: HTTP, Slack and Lambda entry points that call the core's use cases."""
