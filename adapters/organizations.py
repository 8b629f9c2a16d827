"""The organisation's accounts (AccountDirectory) from AWS Organizations: ListAccounts,
then each account's ListTagsForResource.

Organizations answers only in the management account or a delegated administrator:
elsewhere, and where it is not in use, AccessDeniedError says so (the caller warns and
keeps its cache); any other failure is the bot's error for it (adapters/aws_errors.py).
Throttling is botocore's retries' to absorb: the job runs hourly.
"""

from __future__ import annotations

from typing import Any

from adapters.aws_errors import aws_errors
from bot.models import AccountInfo


class OrganizationsDirectory:
    def __init__(self, client: Any) -> None:
        self._organizations = client

    def accounts(self) -> list[AccountInfo]:
        with aws_errors("Organizations' accounts"):
            return [
                AccountInfo(
                    id=account["Id"], name=account.get("Name", ""), tags=self._tags(account["Id"])
                )
                for page in self._organizations.get_paginator("list_accounts").paginate()
                for account in page.get("Accounts", [])
            ]

    def _tags(self, account: str) -> dict[str, str]:
        pages = self._organizations.get_paginator("list_tags_for_resource").paginate(
            ResourceId=account
        )
        return {tag["Key"]: tag.get("Value", "") for page in pages for tag in page.get("Tags", [])}
