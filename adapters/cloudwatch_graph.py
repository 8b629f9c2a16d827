"""The MetricGraphs port on CloudWatch's GetMetricWidgetImage: CloudWatch draws the
graph, in the account and region of the alarm it shows.

OutputFormat is "png", as AWS says for every SDK: the image comes back base64 in the
answer's MetricWidgetImage. "image/png" is for hand-made HTTP requests: its answer is the
bare PNG, which botocore cannot parse."""

from __future__ import annotations

import json
from typing import Any

from adapters.aws_errors import aws_errors, place
from adapters.aws_session import ClientFor, own_client


class CloudWatchGraphs:
    """PNGs of metric widgets, drawn where `client_for` reads."""

    def __init__(self, client_for: ClientFor = own_client) -> None:
        self._client_for = client_for

    def render(
        self, widget: dict[str, Any], region: str | None, *, account: str | None = None
    ) -> bytes:
        with aws_errors(f"GetMetricWidgetImage in {place(account, region)}"):
            client = self._client_for("cloudwatch", account, region)
            answer = client.get_metric_widget_image(
                MetricWidget=json.dumps(widget), OutputFormat="png"
            )
        return bytes(answer["MetricWidgetImage"])
