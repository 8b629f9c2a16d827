"""The accounts cache (bot/accounts.py) on every store: parts that fit a DynamoDB item,
read back whole."""

from __future__ import annotations

from bot import accounts
from bot.models import AccountInfo
from bot.models.accounts import MAX_TAG_VALUE, MAX_TAGS
from bot.ports import DeliveryStore


def test_many_accounts_at_their_largest_are_saved_in_parts_and_read_back(
    alert_store: DeliveryStore,
) -> None:
    many = [
        AccountInfo(
            id=f"{n:012d}",
            name=f"account-{n}",
            tags={f"tag-{t}": "é" * MAX_TAG_VALUE for t in range(MAX_TAGS)},  # 2 bytes each
        )
        for n in range(150)
    ]
    assert accounts.save_accounts(alert_store, many, now=1) == len(many)
    assert accounts.save_accounts(alert_store, many[:2], now=2) == 2  # the other slot
    assert accounts.save_accounts(alert_store, many, now=3) == len(many)  # over the first
    index = alert_store.get_state(accounts.INDEX_KEY)
    assert index is not None and index.data["parts"] > 1
    loaded = accounts.load_accounts(alert_store)
    assert loaded is not None and list(loaded) == [a.id for a in many]
    assert loaded[many[-1].id] == many[-1]
