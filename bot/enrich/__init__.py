"""Enrichment: what an alert learns after its first post, so that it explains itself.

The graph of its metrics (`graph`), the top error lines of its logs (`error_lines`,
from the groups `log_groups` derives), the changes just before it and its runbook
(`changes`). `run` does them for one alert, each bounded in time, money and Slack
budget, and each optional: a denied permission leaves the alert as it was posted, with
one warning per kind. Nothing here delays a first post: alerts are enriched from their
own queue (`EnrichQueue`) once posted.
"""
