"""The framework idioms beyond the examples: FastAPI dependencies, Flask config keys."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI
from flask import Flask

from tests.sdk.drivers import TestClient
from tests.sdk.fake_api import FakeApi
from threshold import Auth, SdkConfig, auth
from threshold.fastapi import AuthDep, CurrentUser, require_auth, setup
from threshold.flask import Threshold


def test_fastapi_dependencies(fake_api: FakeApi, config: SdkConfig) -> None:
    app = FastAPI()
    setup(app, config)

    @app.get("/me")
    async def me(session: AuthDep, user: CurrentUser) -> dict[str, Any]:
        return {"user_id": session.user_id, "email": user.primary_email_address if user else None}

    @app.get("/admin", dependencies=[Depends(require_auth(role="admin"))])
    async def admin() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/acme")
    async def acme(session: Auth = Depends(require_auth(lambda a: a.org_slug == "acme"))) -> Any:
        return {"org": session.org_slug}

    admin_token = fake_api.mint(
        v=2, o={"id": "org_1", "slg": "acme", "rol": "admin", "per": "", "fpm": ""}
    )
    with TestClient(app) as client:
        bearer = {"authorization": f"Bearer {fake_api.mint()}"}
        assert client.get("/me", headers=bearer).json() == {
            "user_id": "user_1",
            "email": "ada@example.com",
        }
        assert client.get("/me").json() == {"user_id": None, "email": None}
        assert client.get("/admin").status_code == 401
        assert client.get("/admin", headers=bearer).status_code == 404
        as_admin = {"authorization": f"Bearer {admin_token}"}
        assert client.get("/admin", headers=as_admin).json() == {"ok": "yes"}
        assert client.get("/acme", headers=as_admin).json() == {"org": "acme"}
        assert client.get("/acme", headers=bearer).status_code == 404


def test_flask_reads_app_config(fake_api: FakeApi, monkeypatch: Any) -> None:
    for name in ("THRESHOLD_JWT_KEY", "CLERK_JWT_KEY", "THRESHOLD_API_URL", "CLERK_API_URL"):
        monkeypatch.delenv(name, raising=False)
    app = Flask(__name__)
    app.config["THRESHOLD_JWT_KEY"] = fake_api.key.public_pem()
    app.config["THRESHOLD_SIGN_IN_URL"] = "https://auth.example/in"
    extension = Threshold()
    extension.init_app(app)
    assert extension.sdk is not None
    assert extension.sdk.config.resolved_sign_in_url == "https://auth.example/in"
    assert app.extensions["threshold"] is extension

    @app.get("/who")
    def who() -> dict[str, Any]:
        return {"user": auth().user_id}

    client = app.test_client()
    reply = client.get("/who", headers={"Authorization": f"Bearer {fake_api.mint()}"})
    assert reply.get_json() == {"user": "user_1"}
