"""``threshold migrate``, ``serve`` and ``dev``."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import typer

from threshold.cli._common import (
    bootstrap,
    console,
    fail,
    load_settings,
    print_keys,
    publishable_key,
)

__all__ = ["dev", "migrate", "serve"]


def migrate() -> None:
    """Apply the database migrations (THRESHOLD_DATABASE_URL, default SQLite file)."""
    from threshold.store.db import Database
    from threshold.store.migrate import upgrade

    settings = load_settings()
    url = settings.resolved_database_url
    Database(url)  # creates the SQLite directory when needed
    try:
        upgrade(url)
    except Exception as exc:  # connection refused, bad URL...
        fail(f"could not migrate {url.split('@')[-1]}: {exc}")
    console.print(f"Database migrated: {url.split('@')[-1]}")


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8787,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    access_log: Annotated[
        bool, typer.Option(help="One line per request on standard output (no query strings).")
    ] = True,
    ssl_certfile: Annotated[
        Path | None, typer.Option(help="Serve HTTPS with this PEM certificate (chain).")
    ] = None,
    ssl_keyfile: Annotated[
        Path | None, typer.Option(help="The certificate's PEM private key.")
    ] = None,
) -> None:
    """Run the identity server (production). The database must be migrated first."""
    import uvicorn

    from threshold.core.errors import ConfigurationError
    from threshold.server.app import create_app
    from threshold.server.logs import log_config

    settings = load_settings()
    try:
        asyncio.run(_check_ready(settings))
    except ConfigurationError as exc:
        fail(exc.message)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "proxy_headers": False,  # THRESHOLD_TRUSTED_PROXIES decides, not uvicorn
        "server_header": False,
        "log_level": "info",
        "log_config": log_config(access=access_log),
        "access_log": False,  # uvicorn's prints query strings; threshold.access does not
        **_tls_options(settings, ssl_certfile, ssl_keyfile),
    }
    if workers > 1:
        os.environ.setdefault("THRESHOLD_PUBLIC_URL", settings.public_url)
        uvicorn.run("threshold.server.from_environment:app", workers=workers, **options)
        return
    uvicorn.run(create_app(settings), **options)


def _tls_options(settings: Any, certfile: Path | None, keyfile: Path | None) -> dict[str, str]:
    """uvicorn's TLS options, when both files are given and readable."""
    if certfile is None and keyfile is None:
        return {}
    if certfile is None or keyfile is None:
        fail("--ssl-certfile and --ssl-keyfile go together.")
    for path in (certfile, keyfile):
        if not path.is_file():
            fail(f"{path} is not a readable file.")
    if not settings.public_url.startswith("https://"):
        console.print(
            "[yellow]Serving HTTPS while THRESHOLD_PUBLIC_URL is http: tokens, links and the "
            "publishable key name the public URL; set it to the https address.[/yellow]"
        )
    return {"ssl_certfile": str(certfile), "ssl_keyfile": str(keyfile)}


async def _check_ready(settings: Any) -> None:
    from threshold.services.runtime.build import build_context

    ctx = await build_context(settings)
    await ctx.db.dispose()


def _load_demo(path: Path) -> ModuleType | None:
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("threshold_demo_app", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    spec.loader.exec_module(module)
    return module


def _show_demo_logs() -> None:
    """Print what the demo's actions log (the reference scenario is about those lines)."""
    import logging

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("[demo] %(message)s"))
    demo = logging.getLogger("examples")
    demo.setLevel(logging.INFO)
    demo.addHandler(handler)


def _demo_path() -> Path:
    here = Path.cwd() / "examples" / "fastapi_app" / "app.py"
    if here.exists():
        return here
    return Path(__file__).resolve().parents[2] / "examples" / "fastapi_app" / "app.py"


def dev(
    port: Annotated[int, typer.Option(help="Port of the identity server.")] = 8787,
    demo_port: Annotated[int, typer.Option(help="Port of the demo app.")] = 8000,
    demo: Annotated[bool, typer.Option(help="Also run the FastAPI demo app.")] = True,
    https: Annotated[
        bool,
        typer.Option(help="Serve HTTPS with a certificate from a local CA (in the data dir)."),
    ] = False,
) -> None:
    """Development: migrate an SQLite file, create keys, run the server and the demo app."""
    import uvicorn

    from threshold.server.app import create_app
    from threshold.server.logs import log_config
    from threshold.store.migrate import upgrade

    scheme = "https" if https else "http"
    public_url = os.environ.get("THRESHOLD_PUBLIC_URL", f"{scheme}://127.0.0.1:{port}")
    settings = load_settings(environment="development", public_url=public_url)
    certfile, keyfile = _dev_tls(settings) if https else (None, None)
    from threshold.store.db import Database

    Database(settings.resolved_database_url)
    upgrade(settings.resolved_database_url)
    info, secret_key = asyncio.run(bootstrap(settings))
    console.print(
        f"\n[bold green]Threshold[/bold green] development server "
        f"({'created' if info.created else 'reusing'} instance {info.id})"
    )
    console.print(f"  Server          : {settings.public_url}")
    console.print(f"  Sign up         : {settings.public_url}/sign-up")
    console.print(f"  Sign in         : {settings.public_url}/sign-in")
    console.print(f"  Profile         : {settings.public_url}/user")
    console.print(f"  Dev mailbox     : {settings.public_url}/dev/mailbox")
    print_keys(settings, info, secret_key)
    servers = [
        uvicorn.Server(
            uvicorn.Config(
                create_app(settings),
                host="127.0.0.1",
                port=port,
                log_level="warning",
                log_config=log_config(access=False),
                server_header=False,
                proxy_headers=False,  # THRESHOLD_TRUSTED_PROXIES decides, not uvicorn
                ssl_certfile=certfile,
                ssl_keyfile=keyfile,
            )
        )
    ]
    if demo:
        os.environ.update(
            {
                "THRESHOLD_SECRET_KEY": secret_key or "",
                "THRESHOLD_PUBLISHABLE_KEY": publishable_key(settings),
                "THRESHOLD_API_URL": settings.public_url,
            }
        )
        module = _load_demo(_demo_path())
        _show_demo_logs()
        if module is None:
            console.print("  Demo app        : (examples/fastapi_app not found; skipped)")
        else:
            demo_app = module.create_app() if hasattr(module, "create_app") else module.app
            console.print(f"  Demo app        : [bold]http://127.0.0.1:{demo_port}[/bold]")
            servers.append(
                uvicorn.Server(
                    uvicorn.Config(
                        demo_app,
                        host="127.0.0.1",
                        port=demo_port,
                        log_level="warning",
                        log_config=log_config(access=False),
                    )
                )
            )
    console.print("\nPress Ctrl+C to stop.\n")

    async def run_all() -> None:
        await asyncio.gather(*(s.serve() for s in servers))

    asyncio.run(run_all())


def _dev_tls(settings: Any) -> tuple[str, str]:
    """Create (or reuse) the local CA and certificate; print how to trust the CA."""
    from threshold.server.dev_tls import ensure_dev_certificate, trust_instructions

    cert = ensure_dev_certificate(Path(settings.data_dir) / "tls")
    state = "created: trust it once" if cert.created_ca else "reused"
    console.print(f"\n  HTTPS CA        : {cert.ca_file} ({state})")
    for line in trust_instructions(cert):
        console.print(f"    {line}", highlight=False, soft_wrap=True)
    # The demo app in this process fetches the JWKS over https through httpx.
    os.environ.setdefault("SSL_CERT_FILE", str(cert.bundle_file))
    return str(cert.cert_file), str(cert.key_file)
