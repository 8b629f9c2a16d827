"""The organisation's accounts (AccountDirectory) from AWS Organizations: ListAccounts,
then each account's ListTagsForResource.

Organizations answers only in the management account or a delegated administrator:
elsewhere, and where it is not in use, AccessDeniedError says so (the caller warns and
keeps its cache). Throttling is botocore's retries' to absorb: the job runs hourly.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from bot.errors import AccessDeniedError
from bot.models import AccountInfo

# What Organizations answers an account that may not read it, or where it is not in use.
DENIED = frozenset({"AccessDeniedException", "AWSOrganizationsNotInUseException", "AccessDenied"})


class OrganizationsDirectory:
    def __init__(self, client: Any) -> None:
        self._organizations = client

    def accounts(self) -> list[AccountInfo]:
        try:
            return [
                AccountInfo(
                    id=account["Id"], name=account.get("Name", ""), tags=self._tags(account["Id"])
                )
                for page in self._organizations.get_paginator("list_accounts").paginate()
                for account in page.get("Accounts", [])
            ]
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if code in DENIED:
                raise AccessDeniedError(f"Organizations answered {code}") from err
            raise

    def _tags(self, account: str) -> dict[str, str]:
        pages = self._organizations.get_paginator("list_tags_for_resource").paginate(
            ResourceId=account
        )
        return {tag["Key"]: tag.get("Value", "") for page in pages for tag in page.get("Tags", [])}
