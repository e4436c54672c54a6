"""Users and their addresses: records in and out, duplicates refused as core errors,
and a change that writes only what changed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.store.records import email, user
from threshold.core.errors import DuplicateError
from threshold.core.records.listing import Page, UserFilters
from threshold.core.records.users import EmailAddress, User
from threshold.store.db import Database
from threshold.store.repositories import EmailRepository, UserRepository

pytestmark = pytest.mark.anyio


async def test_a_user_comes_back_as_the_record_stored(db: Database) -> None:
    ada = user(first_name="Ada", public_metadata={"plan": "pro"}, username="ada_l")
    async with db.transaction() as conn:
        created = await UserRepository(conn).create(ada, email(ada.id, "ada@example.com"))
    async with db.transaction(readonly=True) as conn:
        found = await UserRepository(conn).get(ada.id)
        emails = await EmailRepository(conn).for_user(ada.id)
    assert isinstance(found, User) and found == created
    assert created.primary_email_address_id == emails[0].id
    assert found.public_metadata == {"plan": "pro"} and found.banned is False
    assert [type(e) for e in emails] == [EmailAddress]
    assert found.primary_email(emails) == "ada@example.com"


@pytest.mark.parametrize("taken", ["email_address", "username"])
async def test_a_taken_address_or_username_is_a_duplicate_error(db: Database, taken: str) -> None:
    first = user(username="same_name")
    async with db.transaction() as conn:
        await UserRepository(conn).create(first, email(first.id, "same@example.com"))
    second = user(username="same_name" if taken == "username" else "other_name")
    address = "same@example.com" if taken == "email_address" else "other@example.com"
    with pytest.raises(DuplicateError) as refused:
        await _create(db, second, email(second.id, address))
    assert refused.value.field == taken


async def _create(db: Database, new: User, address: EmailAddress) -> None:
    async with db.transaction() as conn:
        await UserRepository(conn).create(new, address)


async def test_a_change_writes_only_what_differs(db: Database) -> None:
    ada = user(first_name="Ada")
    async with db.transaction() as conn:
        await UserRepository(conn).create(ada, None)
    async with db.transaction() as conn:  # meanwhile, a failed password is counted
        users = UserRepository(conn)
        counted = await users.get(ada.id)
        assert counted is not None
        await users.update(counted, replace(counted, failed_attempts=3))
    async with db.transaction() as conn:  # ``ada`` predates the count: it is kept
        await UserRepository(conn).update(ada, replace(ada, last_name="Lovelace"))
    async with db.transaction(readonly=True) as conn:
        found = await UserRepository(conn).get(ada.id)
    assert found is not None
    assert (found.last_name, found.failed_attempts) == ("Lovelace", 3)


async def test_search_and_uniqueness_queries(db: Database) -> None:
    ada = user(first_name="Ada", username="countess")
    async with db.transaction() as conn:
        users = UserRepository(conn)
        await users.create(ada, email(ada.id, "ada@example.com"))
        await EmailRepository(conn).add(email(ada.id, "second@example.com"))
        await users.refresh_search_text(ada.id)  # what services do after adding an address
        assert await users.value_taken("username", "countess", None)
        assert not await users.value_taken("username", "countess", ada.id)
        filters = UserFilters(query="second@exa")
        assert [u.id for u in await users.matching(filters, Page(), ("created_at",))] == [ada.id]
        assert await users.count_matching(filters) == 1
    with pytest.raises(DuplicateError):
        await _add(db, email(ada.id, "second@example.com"))


async def _add(db: Database, address: EmailAddress) -> None:
    async with db.transaction() as conn:
        await EmailRepository(conn).add(address)
