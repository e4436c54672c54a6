"""Sign-in tokens and invitations: links, redemption, revocation."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.backend_api.conftest import PASSWORD, Api, unique_email
from tests.browser import FapiBrowser
from tests.support import LiveServer, sql
from threshold.core.codes import token_digest


def _ticket(url: str) -> str:
    return parse_qs(urlsplit(url).query)["__clerk_ticket"][0]


def test_sign_in_token_signs_in_once(
    server: LiveServer, api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="threshold.audit")
    user = api.user()
    created = api.ok("POST", "/sign_in_tokens", json={"user_id": user["id"]})
    assert created["object"] == "sign_in_token" and created["status"] == "pending"
    assert created["id"].startswith("sit_") and created["user_id"] == user["id"]
    assert created["url"] == f"{server.url}/sign-in?__clerk_ticket={created['token']}"
    stored = sql(server, "SELECT ticket_digest FROM sign_in_tokens WHERE id = :i", i=created["id"])
    assert stored == [(token_digest(created["token"]),)]
    browser = FapiBrowser(server)
    done = browser.ok("POST", "/v1/client/sign_ins", strategy="ticket", ticket=created["token"])
    assert done["response"]["status"] == "complete"
    assert done["client"]["sessions"][0]["user"]["id"] == user["id"]
    again = FapiBrowser(server).post(
        "/v1/client/sign_ins", strategy="ticket", ticket=created["token"]
    )
    assert again.status_code == 422
    assert api.error("POST", f"/sign_in_tokens/{created['id']}/revoke", 400)["message"]
    audited = [json.loads(r.getMessage()) for r in caplog.records if r.name == "threshold.audit"]
    tickets = [e for e in audited if e.get("strategy") == "ticket"]
    assert [(e["event"], e.get("reason")) for e in tickets] == [
        ("sign_in.succeeded", None),
        ("sign_in.failed", "ticket_invalid"),
    ]
    assert tickets[0]["user_id"] == user["id"]
    assert tickets[0]["session_id"] == done["response"]["created_session_id"]
    assert not any(created["token"] in r.getMessage() for r in caplog.records)


def test_revoked_or_expired_sign_in_token_fails(server: LiveServer, api: Api) -> None:
    user = api.user()
    created = api.ok("POST", "/sign_in_tokens", json={"user_id": user["id"]})
    revoked = api.ok("POST", f"/sign_in_tokens/{created['id']}/revoke")
    assert revoked["status"] == "revoked" and "token" not in revoked
    refused = FapiBrowser(server).post(
        "/v1/client/sign_ins", strategy="ticket", ticket=created["token"]
    )
    assert refused.json()["errors"][0]["code"] == "ticket_invalid"
    short = api.ok("POST", "/sign_in_tokens", json={"user_id": user["id"], "expires_in_seconds": 1})
    sql(server, "UPDATE sign_in_tokens SET expires_at = 1 WHERE id = :i", i=short["id"])
    expired = FapiBrowser(server).post(
        "/v1/client/sign_ins", strategy="ticket", ticket=short["token"]
    )
    assert expired.status_code == 422
    api.error("POST", "/sign_in_tokens", 404, json={"user_id": "user_2aaaaaaaaaaaaaaaaaaaaaaaaaa"})
    api.error("POST", "/sign_in_tokens/sit_nope/revoke", 404)
    bad = {"user_id": user["id"], "expires_in_seconds": 0}
    assert api.error("POST", "/sign_in_tokens", 422, json=bad)["meta"]["param_name"] == (
        "expires_in_seconds"
    )


def test_invitation_flow(server: LiveServer, api: Api) -> None:
    email = unique_email("inv")
    body: dict[str, object] = {
        "email_address": email,
        "public_metadata": {"team": "blue"},
        "redirect_url": "http://localhost:3000/welcome",
    }
    created = api.ok("POST", "/invitations", json=body)
    assert created["object"] == "invitation" and created["status"] == "pending"
    assert created["id"].startswith("inv_") and created["revoked"] is False
    assert created["url"].startswith(f"{server.url}/sign-up?__clerk_ticket=")
    assert parse_qs(urlsplit(created["url"]).query)["redirect_url"] == [body["redirect_url"]]
    assert server.mailbox is not None
    mail = server.mailbox.wait_for(email).get_payload(decode=True)
    assert isinstance(mail, bytes) and created["url"] in mail.decode()
    duplicate = api.error("POST", "/invitations", 422, json={"email_address": email})
    assert duplicate["code"] == "form_identifier_exists"
    listed = api.ok("GET", "/invitations", params={"query": email, "status": "pending"})
    assert [i["id"] for i in listed] == [created["id"]]

    browser = FapiBrowser(server)
    ticket = _ticket(created["url"])
    done = browser.ok("POST", "/v1/client/sign_ups", ticket=ticket, password=PASSWORD)
    assert done["response"]["status"] == "complete"
    user = api.ok("GET", "/users", params={"email_address": email})[0]
    assert user["public_metadata"] == {"team": "blue"}
    accepted = api.ok("GET", "/invitations", params={"query": email, "paginated": "true"})
    assert accepted["total_count"] == 1 and accepted["data"][0]["status"] == "accepted"
    assert "url" not in accepted["data"][0]
    api.error("POST", f"/invitations/{created['id']}/revoke", 400)
    taken = api.error("POST", "/invitations", 422, json={"email_address": email})
    assert taken["code"] == "form_identifier_exists"
    again = {"email_address": email, "ignore_existing": True, "notify": False}
    assert api.ok("POST", "/invitations", json=again)["status"] == "pending"


def test_invitation_revoke_expiry_and_bad_input(server: LiveServer, api: Api) -> None:
    email = unique_email("rev")
    created = api.ok("POST", "/invitations", json={"email_address": email, "notify": False})
    revoked = api.ok("POST", f"/invitations/{created['id']}/revoke")
    assert revoked["status"] == "revoked" and revoked["revoked"] is True
    refused = FapiBrowser(server).post(
        "/v1/client/sign_ups", ticket=_ticket(created["url"]), password=PASSWORD
    )
    assert refused.json()["errors"][0]["code"] == "ticket_invalid"

    body = {"email_address": unique_email("exp"), "notify": False, "expires_in_days": 1}
    later = api.ok("POST", "/invitations", json=body)
    assert later["expires_at"] is not None
    sql(server, "UPDATE invitations SET expires_at = 1 WHERE id = :i", i=later["id"])
    expired = api.ok("GET", "/invitations", params={"status": "expired", "limit": 500})
    assert later["id"] in [i["id"] for i in expired]
    pending = api.ok("GET", "/invitations", params={"status": "pending", "limit": 500})
    assert later["id"] not in [i["id"] for i in pending]
    late = FapiBrowser(server).post(
        "/v1/client/sign_ups", ticket=_ticket(later["url"]), password=PASSWORD
    )
    assert late.json()["errors"][0]["code"] == "ticket_invalid"

    evil = {"email_address": unique_email(), "redirect_url": "https://evil.example/x"}
    assert api.error("POST", "/invitations", 422, json=evil)["meta"]["param_name"] == "redirect_url"
    assert api.error("POST", "/invitations", 422, json={"email_address": "x"})["meta"] == {
        "param_name": "email_address"
    }
    api.error("POST", "/invitations/inv_nope/revoke", 404)
    api.error("GET", "/invitations", 422, params={"order_by": "status"})


def _invited_sign_up(server: LiveServer, api: Api, name: str) -> tuple[FapiBrowser, str, str, str]:
    """An invitation and a sign-up started with its ticket, waiting for a password."""
    email = unique_email(name)
    invitation = api.ok("POST", "/invitations", json={"email_address": email, "notify": False})
    browser = FapiBrowser(server)
    started = browser.ok("POST", "/v1/client/sign_ups", ticket=_ticket(invitation["url"]))
    assert started["response"]["status"] == "missing_requirements"
    assert started["response"]["email_address"] == email
    return browser, started["response"]["id"], invitation["id"], email


def _refused_completion(
    server: LiveServer, api: Api, browser: FapiBrowser, sua: str, email: str
) -> None:
    """Setting the password would complete the sign-up: refused, and nothing is created."""
    refused = browser.http.post(
        f"/v1/client/sign_ups/{sua}?_method=PATCH", data={"password": PASSWORD}
    )
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert set(body) == {"errors", "clerk_trace_id"}
    assert body["errors"][0]["code"] == "ticket_invalid"
    assert api.ok("GET", "/users", params={"email_address": email}) == []
    assert sql(server, "SELECT status FROM sign_ups WHERE id = :i", i=sua) == [
        ("missing_requirements",)
    ]
    assert browser.client()["sessions"] == []  # type: ignore[index]


def test_invitation_revoked_before_completion_refuses_it(server: LiveServer, api: Api) -> None:
    browser, sua, invitation_id, email = _invited_sign_up(server, api, "late-revoke")
    api.ok("POST", f"/invitations/{invitation_id}/revoke")
    _refused_completion(server, api, browser, sua, email)
    listed = api.ok("GET", "/invitations", params={"query": email})
    assert [i["status"] for i in listed] == ["revoked"]


def test_invitation_expired_or_used_before_completion_refuses_it(
    server: LiveServer, api: Api
) -> None:
    browser, sua, invitation_id, email = _invited_sign_up(server, api, "late-expiry")
    sql(server, "UPDATE invitations SET expires_at = 1 WHERE id = :i", i=invitation_id)
    _refused_completion(server, api, browser, sua, email)
    browser, sua, invitation_id, email = _invited_sign_up(server, api, "late-accept")
    sql(server, "UPDATE invitations SET status = 'accepted' WHERE id = :i", i=invitation_id)
    _refused_completion(server, api, browser, sua, email)


def test_revoking_a_used_ticket_is_refused_with_clerks_code(server: LiveServer, api: Api) -> None:
    browser, sua, invitation_id, _ = _invited_sign_up(server, api, "accepted")
    browser.ok("POST", f"/v1/client/sign_ups/{sua}?_method=PATCH", password=PASSWORD)
    refused = api.error("POST", f"/invitations/{invitation_id}/revoke", 400)
    assert refused["code"] == "invitation_already_accepted" and refused["message"]
    assert _invitation_status(server, invitation_id) == "accepted"
    other = api.ok("POST", "/invitations", json={"email_address": unique_email(), "notify": False})
    api.ok("POST", f"/invitations/{other['id']}/revoke")
    again = api.error("POST", f"/invitations/{other['id']}/revoke", 400)
    assert again["code"] == "invitation_already_revoked"

    token = api.ok("POST", "/sign_in_tokens", json={"user_id": api.user()["id"]})
    FapiBrowser(server).ok("POST", "/v1/client/sign_ins", strategy="ticket", ticket=token["token"])
    used = api.error("POST", f"/sign_in_tokens/{token['id']}/revoke", 400)
    assert used["code"] == "sign_in_token_cannot_be_revoked_code" and used["message"]
    status = sql(server, "SELECT status FROM sign_in_tokens WHERE id = :i", i=token["id"])
    assert status == [("accepted",)]


def _invitation_status(server: LiveServer, invitation_id: str) -> str:
    return str(sql(server, "SELECT status FROM invitations WHERE id = :i", i=invitation_id)[0][0])


async def _while_row_is_locked(
    server: LiveServer, table: str, row_id: str, status: str, request: Callable[[], Any]
) -> Any:
    """Hold ``row_id`` locked in an open transaction that sets ``status`` (as a completing
    sign-up or redemption does), send ``request`` from a thread, wait until PostgreSQL
    shows it blocked on a lock, then commit and return its answer."""
    import asyncpg

    url = server.settings.resolved_database_url.replace("postgresql+asyncpg", "postgresql")
    holder, watcher = await asyncpg.connect(url), await asyncpg.connect(url)
    try:
        transaction = holder.transaction()
        await transaction.start()
        await holder.execute(f"UPDATE {table} SET status = $1 WHERE id = $2", status, row_id)
        pending = asyncio.ensure_future(asyncio.to_thread(request))
        deadline = time.monotonic() + 10
        while not await watcher.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        ):
            assert not pending.done(), "the request did not wait for the row lock"
            assert time.monotonic() < deadline, "the request never blocked on the row"
            await asyncio.sleep(0.02)
        await transaction.commit()
        return await pending
    finally:
        await holder.close()
        await watcher.close()


POSTGRES_ONLY = pytest.mark.parametrize("server", ["postgres"], indirect=True)
"""For races: SQLite serializes writers, so no revoke can wait on a completion there."""


@POSTGRES_ONLY
def test_a_revoke_that_waited_for_the_acceptance_is_refused(server: LiveServer, api: Api) -> None:
    email = unique_email("race")
    invitation = api.ok("POST", "/invitations", json={"email_address": email, "notify": False})

    def revoke() -> httpx.Response:
        return api.call("POST", f"/invitations/{invitation['id']}/revoke")

    answer = asyncio.run(
        _while_row_is_locked(server, "invitations", invitation["id"], "accepted", revoke)
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["errors"][0]["code"] == "invitation_already_accepted"
    assert _invitation_status(server, invitation["id"]) == "accepted"


@POSTGRES_ONLY
def test_sign_in_token_revoke_and_redemption_wait_for_each_other(
    server: LiveServer, api: Api
) -> None:
    user = api.user()
    used = api.ok("POST", "/sign_in_tokens", json={"user_id": user["id"]})

    def revoke() -> httpx.Response:
        return api.call("POST", f"/sign_in_tokens/{used['id']}/revoke")

    answer = asyncio.run(
        _while_row_is_locked(server, "sign_in_tokens", used["id"], "accepted", revoke)
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["errors"][0]["code"] == "sign_in_token_cannot_be_revoked_code"
    status = sql(server, "SELECT status FROM sign_in_tokens WHERE id = :i", i=used["id"])
    assert status == [("accepted",)]

    # The other way round: a redemption that waited for a revoke signs nobody in.
    revoked = api.ok("POST", "/sign_in_tokens", json={"user_id": user["id"]})
    browser = FapiBrowser(server)

    def redeem() -> httpx.Response:
        return browser.post("/v1/client/sign_ins", strategy="ticket", ticket=revoked["token"])

    refused = asyncio.run(
        _while_row_is_locked(server, "sign_in_tokens", revoked["id"], "revoked", redeem)
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["code"] == "ticket_invalid"
    status = sql(server, "SELECT status FROM sign_in_tokens WHERE id = :i", i=revoked["id"])
    assert status == [("revoked",)]
    assert browser.client() is None or browser.client()["sessions"] == []  # type: ignore[index]
