"""A local fake of CloudWatch's GetMetricWidgetImage and ListTagsForResource, which moto
does not serve (or not as CloudWatch checks it).

botocore 1.44 speaks awsJson 1.0 to CloudWatch, in query-compatible mode (CloudWatch's
model lists smithy-rpc-v2-cbor first, which botocore does not choose): errors carry their
query code in `x-amzn-query-error`, as "AccessDenied" or "ValidationError".

GetMetricWidgetImage checks the widget as CloudWatch does (the parts the bot draws):
`metrics` lines that are a namespace, a metric name and dimension pairs, or an
expression, with unique ids that expressions refer to; `start` and `end`; annotations
with values. It answers a real PNG of the widget's size; OutputFormat "png" gives it
base64 in MetricWidgetImage, "image/png" gives the bare PNG (for hand-made HTTP calls,
which botocore cannot parse), as CloudWatch does.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import zlib
from datetime import datetime
from typing import Any

from starlette.responses import Response

from tests.fakes_aws.json_service import AwsError, Call, Handler, JsonServiceFake

ID = re.compile(r"[a-z][a-zA-Z0-9_]*")
ID_WORD = re.compile(r"\b[a-z][a-zA-Z0-9_]*\b")
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
RELATIVE = re.compile(r"-?P(?=\d|T\d)(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?")
ALARM_ARN = re.compile(r"arn:aws[a-z-]*:cloudwatch:(?P<region>[a-z0-9-]+):\d{12}:alarm:.+")
MAX_METRICS = 100
MAX_SIDE = 2000


def png(width: int, height: int) -> bytes:
    """A real PNG: a white greyscale image of the size asked."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _time(value: Any) -> datetime | str | None:
    """An absolute time, None for a relative one, or what is wrong with it."""
    if not isinstance(value, str):
        return "is not a string"
    if RELATIVE.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return "is neither ISO 8601 nor a relative duration"


def _line_problems(index: int, line: Any, ids: list[str]) -> list[str]:
    where = f"metrics[{index}]"
    if not isinstance(line, list) or not line:
        return [f"{where} must be a non-empty array"]
    options = line[-1] if isinstance(line[-1], dict) else {}
    names = line[:-1] if options else line
    problems = []
    if not names:
        if not (isinstance(options.get("expression"), str) and options["expression"].strip()):
            problems.append(f"{where} has neither a metric nor an expression")
    elif not all(isinstance(n, str) and n for n in names) or len(names) < 2 or len(names) % 2:
        problems.append(f"{where} must be a namespace, a metric name, then name/value pairs")
    elif "expression" in options:
        problems.append(f"{where} has both a metric and an expression")
    if "id" in options:
        if not (isinstance(options["id"], str) and ID.fullmatch(options["id"])):
            problems.append(f"{where}.id must start with a lower-case letter: {options['id']!r}")
        ids.append(str(options["id"]))
    period = options.get("period")
    if period is not None and not (isinstance(period, int) and period > 0):
        problems.append(f"{where}.period must be a positive integer")
    return problems


def widget_problems(widget: Any) -> list[str]:
    """What CloudWatch would refuse in a MetricWidget (the parts the bot uses)."""
    if not isinstance(widget, dict):
        return ["MetricWidget must be a JSON object"]
    metrics = widget.get("metrics")
    if not isinstance(metrics, list) or not metrics:
        return ["The field metrics is required and must be a non-empty array"]
    if len(metrics) > MAX_METRICS:
        return [f"at most {MAX_METRICS} metrics"]
    ids: list[str] = []
    problems = [p for i, line in enumerate(metrics) for p in _line_problems(i, line, ids)]
    if len(set(ids)) != len(ids):
        problems.append(f"metric ids must be unique: {ids}")
    for line in metrics:
        expression = line[-1].get("expression") if isinstance(line[-1], dict) else None
        if isinstance(expression, str):
            unknown = set(ID_WORD.findall(QUOTED.sub("", expression))) - set(ids)
            if unknown:
                problems.append(f"Unrecognized metric id(s) {sorted(unknown)} in {expression!r}")
    times = {}
    for name in ("start", "end"):
        found = _time(widget.get(name))
        if isinstance(found, str):
            problems.append(f"The field {name} {found}")
        times[name] = found
    start, end = times["start"], times["end"]
    if isinstance(start, datetime) and isinstance(end, datetime) and start >= end:
        problems.append("The start must be before the end")
    annotations = widget.get("annotations", {})
    for kind in ("horizontal", "vertical"):
        for mark in annotations.get(kind, []) if isinstance(annotations, dict) else []:
            value = mark.get("value") if isinstance(mark, dict) else None
            if kind == "horizontal":
                ok = isinstance(value, int | float) and not isinstance(value, bool)
            else:
                ok = isinstance(_time(value), datetime)
            if not ok:
                problems.append(f"annotations.{kind} needs a value: {mark!r}")
    for side in ("width", "height"):
        size = widget.get(side, 1)
        if not (isinstance(size, int) and 1 <= size <= MAX_SIDE):
            problems.append(f"The field {side} must be an integer from 1 to {MAX_SIDE}")
    return problems


class FakeCloudWatch(JsonServiceFake):
    """`widgets` holds every widget drawn (decoded); `tag_alarm` sets an alarm's tags."""

    model_name = "cloudwatch"
    denied = ("AccessDenied", 403)

    def __init__(self) -> None:
        super().__init__()
        self.widgets: list[dict[str, Any]] = []
        self._tags: dict[str, dict[str, str]] = {}

    def clear(self) -> None:
        self.widgets.clear()
        self._tags.clear()

    def tag_alarm(self, arn: str, tags: dict[str, str]) -> None:
        with self._lock:
            self._tags[arn] = dict(tags)

    def operations(self) -> dict[str, Handler]:
        return {
            "GetMetricWidgetImage": self._widget_image,
            "ListTagsForResource": self._list_tags,
        }

    def _widget_image(self, call: Call) -> dict[str, Any] | Response:
        try:
            widget = json.loads(call.params["MetricWidget"])
        except ValueError as err:
            raise AwsError("ValidationError", f"MetricWidget is not JSON: {err}") from err
        problems = widget_problems(widget)
        if problems:
            raise AwsError("ValidationError", "; ".join(problems))
        output = call.params.get("OutputFormat", "png")
        if output not in ("png", "image/png"):
            raise AwsError("ValidationError", f"OutputFormat must be png: {output!r}")
        self.widgets.append(widget)
        image = png(widget.get("width", 600), widget.get("height", 400))
        if output == "image/png":
            return Response(image, media_type="image/png")
        return {"MetricWidgetImage": base64.b64encode(image).decode()}

    def _list_tags(self, call: Call) -> dict[str, Any]:
        arn = call.params["ResourceARN"]
        found = ALARM_ARN.fullmatch(arn)
        if found is None:
            raise AwsError("InvalidParameterValue", f"not a CloudWatch resource ARN: {arn}")
        if found["region"] != call.region:
            raise AwsError(
                "InvalidParameterValue", f"{arn} is not in the region asked ({call.region})"
            )
        if arn not in self._tags:
            raise AwsError("ResourceNotFoundException", f"no alarm {arn}", 404)
        return {"Tags": [{"Key": k, "Value": v} for k, v in self._tags[arn].items()]}
