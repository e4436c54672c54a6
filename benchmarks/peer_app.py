"""The fastapi-users peer of benchmarks/peer.py: ``python -m benchmarks.peer_app PORT DATABASE``.

A minimal fastapi-users app set up the way its documentation sets one up: users in
SQLite through SQLAlchemy and aiosqlite, a bearer transport with the JWT strategy
(HS256, the library's default algorithm), its own password helper (pwdlib, argon2 with
argon2-cffi's defaults). Routes: ``POST /auth/register``, ``POST /auth/jwt/login`` (form)
and ``GET /authenticated-route``, which answers the same plain-text ``hello`` as the
Threshold endpoint in ``benchmarks/apps.py`` so only the authentication differs.

Needs the ``bench`` extra (``pip install -e '.[dev,bench]'``).
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import Depends, FastAPI
from fastapi.responses import PlainTextResponse
from fastapi_users import BaseUserManager, FastAPIUsers, UUIDIDMixin, schemas
from fastapi_users.authentication import AuthenticationBackend, BearerTransport, JWTStrategy
from fastapi_users_db_sqlalchemy import SQLAlchemyBaseUserTableUUID, SQLAlchemyUserDatabase
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

__all__ = ["create_app", "main"]

SECRET = "bench-secret-not-for-production-0123456789abcdef"


class Base(DeclarativeBase):
    pass


class User(SQLAlchemyBaseUserTableUUID, Base):
    pass


class UserRead(schemas.BaseUser[uuid.UUID]):
    pass


class UserCreate(schemas.BaseUserCreate):
    pass


class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
    reset_password_token_secret = SECRET
    verification_token_secret = SECRET


def create_app(database: str) -> FastAPI:
    """The app, its users in the SQLite file ``database``."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{database}")
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def user_db() -> AsyncIterator[SQLAlchemyUserDatabase[User, uuid.UUID]]:
        async with sessions() as session:
            yield SQLAlchemyUserDatabase(session, User)

    async def user_manager(
        db: SQLAlchemyUserDatabase[User, uuid.UUID] = Depends(user_db),
    ) -> AsyncIterator[UserManager]:
        yield UserManager(db)

    def strategy() -> JWTStrategy[User, uuid.UUID]:
        return JWTStrategy(secret=SECRET, lifetime_seconds=3600)

    backend = AuthenticationBackend(
        name="jwt", transport=BearerTransport(tokenUrl="auth/jwt/login"), get_strategy=strategy
    )
    users = FastAPIUsers[User, uuid.UUID](user_manager, [backend])
    active_user = users.current_user(active=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)
    app.include_router(users.get_auth_router(backend), prefix="/auth/jwt")
    app.include_router(users.get_register_router(UserRead, UserCreate), prefix="/auth")

    @app.get("/authenticated-route")
    async def authenticated_route(user: Any = Depends(active_user)) -> PlainTextResponse:
        return PlainTextResponse("hello")

    return app


def main() -> None:
    port, database = int(sys.argv[1]), sys.argv[2]
    uvicorn.run(
        create_app(database), host="127.0.0.1", port=port, log_level="error", access_log=False
    )


if __name__ == "__main__":
    main()
