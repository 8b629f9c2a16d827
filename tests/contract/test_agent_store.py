"""The AgentStore contract: CRUD keyed on the account id, partial updates, paging by id."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError as PydanticValidationError

from bot.errors import ConflictError, InvalidCursorError, NotFoundError, ValidationError
from bot.models import Agent, AgentQueryResult, Direction, PaginatedInputDTO, UpdateAgentDTO
from bot.ports import AgentStore
from tests.contract.conftest import Pager

ACCOUNT = "123456789012"


def make(agent_id: str = ACCOUNT, **fields: Any) -> Agent:
    values: dict[str, Any] = {
        "id": agent_id,
        "region": "eu-west-1",
        "status": "deployed",
        "deployed_at": 1_700_000_000,
        "created_at": 1_699_000_000,
        "last_seen": 1_700_000_500,
    }
    return Agent(**{**values, **fields})


def test_create_then_get(agent_store: AgentStore) -> None:
    agent = make()
    agent_store.create(agent)
    assert agent_store.get(ACCOUNT) == agent
    assert agent_store.exists(ACCOUNT) is True
    assert agent_store.exists("000000000000") is False


def test_a_duplicate_create_conflicts_and_keeps_the_first(agent_store: AgentStore) -> None:
    agent_store.create(make(status="first"))
    with pytest.raises(ConflictError):
        agent_store.create(make(status="second"))
    assert agent_store.get(ACCOUNT).status == "first"


def test_missing_agents_are_not_found(agent_store: AgentStore) -> None:
    with pytest.raises(NotFoundError):
        agent_store.get(ACCOUNT)
    with pytest.raises(NotFoundError):
        agent_store.update(ACCOUNT, UpdateAgentDTO(status="x"))
    with pytest.raises(NotFoundError):
        agent_store.delete(ACCOUNT)
    assert agent_store.exists(ACCOUNT) is False


def test_update_applies_only_the_fields_that_are_set(agent_store: AgentStore) -> None:
    agent_store.create(make())
    updated = agent_store.update(ACCOUNT, UpdateAgentDTO(status="healthy", last_seen=1_700_009_999))
    assert updated == make(status="healthy", last_seen=1_700_009_999)
    assert agent_store.get(ACCOUNT) == updated


def test_update_can_clear_an_optional_field_explicitly(agent_store: AgentStore) -> None:
    agent_store.create(make())
    assert agent_store.update(ACCOUNT, UpdateAgentDTO(status=None)).status is None
    assert agent_store.get(ACCOUNT) == make(status=None)


def test_an_update_that_breaks_the_agent_is_refused_and_changes_nothing(
    agent_store: AgentStore,
) -> None:
    agent_store.create(make())
    # The DTO itself refuses a null region; a store must still refuse one that got past it.
    with pytest.raises(PydanticValidationError, match="region cannot be null"):
        UpdateAgentDTO(region=None)
    unchecked = UpdateAgentDTO.model_construct(_fields_set={"region"}, region=None)
    with pytest.raises(ValidationError):
        agent_store.update(ACCOUNT, unchecked)
    assert agent_store.get(ACCOUNT) == make()


def test_an_empty_update_changes_nothing(agent_store: AgentStore) -> None:
    agent_store.create(make())
    assert agent_store.update(ACCOUNT, UpdateAgentDTO()) == make()


def test_delete(agent_store: AgentStore) -> None:
    agent_store.create(make())
    agent_store.create(make("210987654321"))
    agent_store.delete(ACCOUNT)
    assert agent_store.exists(ACCOUNT) is False
    with pytest.raises(NotFoundError):
        agent_store.get(ACCOUNT)
    assert [a.id for a in agent_store.list(PaginatedInputDTO()).items] == ["210987654321"]


def test_a_returned_agent_is_a_copy(agent_store: AgentStore) -> None:
    agent_store.create(make())
    agent_store.get(ACCOUNT).status = "changed by a caller"
    assert agent_store.get(ACCOUNT).status == "deployed"


@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("limit", [1, 3, 7, 50])
def test_list_pages_by_id_both_ways(
    agent_store: AgentStore, pager: Pager, direction: Direction, limit: int
) -> None:
    ids = [f"{n * 37 % 100:012d}" for n in range(7)]  # created out of order
    for agent_id in ids:
        agent_store.create(make(agent_id))

    def list_page(cursor: str | None) -> AgentQueryResult:
        return agent_store.list(PaginatedInputDTO(limit=limit, direction=direction, cursor=cursor))

    pager.assert_round_trip(list_page, sorted(ids, reverse=direction == "desc"), limit)


def test_a_tampered_agent_cursor_is_refused(agent_store: AgentStore) -> None:
    for n in range(3):
        agent_store.create(make(f"{n:012d}"))
    token = agent_store.list(PaginatedInputDTO(limit=1)).next
    assert token is not None
    with pytest.raises(InvalidCursorError):
        agent_store.list(PaginatedInputDTO(cursor=token[:-1]))
