"""AWS regions: partitions, and the display names that classic alarm bodies use.

Classic CloudWatch alarm notifications name the region for display ("EU - Ireland",
"US East (N. Virginia)") instead of by code. These maps turn any of those spellings back
into the region code.
"""

from __future__ import annotations

import re

REGION_CODE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")

# Code → the console's display name.
REGION_NAMES: dict[str, str] = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "af-south-1": "Africa (Cape Town)",
    "ap-east-1": "Asia Pacific (Hong Kong)",
    "ap-east-2": "Asia Pacific (Taipei)",
    "ap-south-1": "Asia Pacific (Mumbai)",
    "ap-south-2": "Asia Pacific (Hyderabad)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-northeast-3": "Asia Pacific (Osaka)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-southeast-3": "Asia Pacific (Jakarta)",
    "ap-southeast-4": "Asia Pacific (Melbourne)",
    "ap-southeast-5": "Asia Pacific (Malaysia)",
    "ap-southeast-7": "Asia Pacific (Thailand)",
    "ca-central-1": "Canada (Central)",
    "ca-west-1": "Canada West (Calgary)",
    "eu-central-1": "Europe (Frankfurt)",
    "eu-central-2": "Europe (Zurich)",
    "eu-west-1": "Europe (Ireland)",
    "eu-west-2": "Europe (London)",
    "eu-west-3": "Europe (Paris)",
    "eu-south-1": "Europe (Milan)",
    "eu-south-2": "Europe (Spain)",
    "eu-north-1": "Europe (Stockholm)",
    "il-central-1": "Israel (Tel Aviv)",
    "me-south-1": "Middle East (Bahrain)",
    "me-central-1": "Middle East (UAE)",
    "mx-central-1": "Mexico (Central)",
    "sa-east-1": "South America (Sao Paulo)",
    "us-gov-east-1": "AWS GovCloud (US-East)",
    "us-gov-west-1": "AWS GovCloud (US-West)",
    "cn-north-1": "China (Beijing)",
    "cn-northwest-1": "China (Ningxia)",
}

# Older and shorter spellings seen in notifications, by the place they name.
_PLACE_ALIASES: dict[str, str] = {
    "virginia": "us-east-1",
    "n virginia": "us-east-1",
    "northern virginia": "us-east-1",
    "california": "us-west-1",
    "n california": "us-west-1",
    "northern california": "us-west-1",
    "sao paulo": "sa-east-1",
    "central": "ca-central-1",
}


def _norm(text: str) -> str:
    text = text.lower().replace("ã", "a")
    return " ".join(re.findall(r"[a-z0-9]+", text))


def _place(text: str) -> str:
    """The place a display name names: "EU (Ireland)" and "EU - Ireland" both give "ireland"."""
    inner = re.search(r"\(([^)]*)\)", text)
    if inner:
        return _norm(inner.group(1))
    if " - " in text:
        return _norm(text.split(" - ", 1)[1])
    return _norm(text)


_BY_FULL_NAME = {_norm(name): code for code, name in REGION_NAMES.items()}
_BY_PLACE = {_place(name): code for code, name in REGION_NAMES.items()} | _PLACE_ALIASES


def region_code(value: str | None) -> str | None:
    """A region code from a code or any display spelling; None when it names no region."""
    if not value:
        return None
    text = value.strip()
    if REGION_CODE.match(text):
        return text
    full = _norm(text)
    if full in _BY_FULL_NAME:
        return _BY_FULL_NAME[full]
    prefix = full.split(" ", 1)[0]
    place = _place(text)
    if prefix == "aws" or "govcloud" in full:
        return _BY_PLACE.get(place) if place.startswith("us ") else None
    return _BY_PLACE.get(place)


def partition(region: str | None) -> str:
    """The ARN partition of a region: aws, aws-us-gov or aws-cn."""
    if region and region.startswith("us-gov-"):
        return "aws-us-gov"
    if region and region.startswith("cn-"):
        return "aws-cn"
    return "aws"


def region_from_arn(arn: str | None) -> str | None:
    """The region field of an ARN, when it has one."""
    parts = (arn or "").split(":")
    if len(parts) >= 6 and parts[0] == "arn" and REGION_CODE.match(parts[3]):
        return parts[3]
    return None


def account_from_arn(arn: str | None) -> str | None:
    parts = (arn or "").split(":")
    if len(parts) >= 6 and parts[0] == "arn" and parts[4].isdigit():
        return parts[4]
    return None
