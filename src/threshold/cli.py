"""The ``threshold`` command: dev, serve, migrate, keys, clerk-js."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

__all__ = ["app", "main"]

app = typer.Typer(
    help="Threshold: self-hosted authentication for Python web apps.",
    no_args_is_help=True,
    add_completion=False,
)
keys_app = typer.Typer(help="Show or rotate the instance's keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
clerk_js_app = typer.Typer(
    help="Install and list the clerk-js scripts served at /npm/.", no_args_is_help=True
)
app.add_typer(clerk_js_app, name="clerk-js")
console = Console()

SECRET_FILE = "secret_key"  # noqa: S105 (a file name, not a secret)


def _settings(**overrides: Any) -> Any:
    from pydantic import ValidationError as SettingsError

    from threshold.services.instance.settings import Settings

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        console.print(f"[red]Invalid settings:[/red] {exc}")
        raise typer.Exit(2) from exc


def _fail(message: str) -> NoReturn:
    console.print(f"[red]Error:[/red] {message}")
    raise typer.Exit(1)


@app.command()
def migrate() -> None:
    """Apply the database migrations (THRESHOLD_DATABASE_URL, default SQLite file)."""
    from threshold.store.db import Database
    from threshold.store.migrate import upgrade

    settings = _settings()
    url = settings.resolved_database_url
    Database(url)  # creates the SQLite directory when needed
    try:
        upgrade(url)
    except Exception as exc:  # connection refused, bad URL...
        _fail(f"could not migrate {url.split('@')[-1]}: {exc}")
    console.print(f"Database migrated: {url.split('@')[-1]}")


async def _bootstrap(settings: Any) -> tuple[Any, str | None]:
    """Create the instance if needed; return it with the clear secret key when known."""
    from threshold.core.clock import SystemClock
    from threshold.services.instance.bootstrap import ensure_instance
    from threshold.store.db import Database

    db = Database(settings.resolved_database_url)
    try:
        secret = settings.secret_key.get_secret_value() if settings.secret_key else None
        info = await ensure_instance(
            db,
            SystemClock(),
            public_url=settings.public_url,
            environment=settings.environment,
            secret_key=secret,
        )
    finally:
        await db.dispose()
    key_file = Path(settings.data_dir) / SECRET_FILE
    secret_key = info.secret_key
    if info.created and secret_key and settings.is_development:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secret_key + "\n")
        key_file.chmod(0o600)
    if secret_key is None and key_file.exists():
        secret_key = key_file.read_text().strip()
    return info, secret_key


def _publishable_key(settings: Any) -> str:
    """The key for the Frontend API as configured now: ``pk_test_``/``pk_live_`` by the
    environment, the host (with its port) of the public URL. The instance keeps the key it
    was created with, which a later change of THRESHOLD_PUBLIC_URL leaves stale."""
    from threshold.services.instance.bootstrap import publishable_key_for

    return publishable_key_for(settings.public_url, settings.environment)


def _print_keys(settings: Any, info: Any, secret_key: str | None) -> None:
    console.print(f"  Publishable key : [bold]{_publishable_key(settings)}[/bold]")
    if "." not in (host := settings.public_url.split("://", 1)[1]):
        console.print(
            f"  [yellow]clerk-js refuses a publishable key for {host}, a host without a dot:"
            " use 127.0.0.1 or a name with a dot in THRESHOLD_PUBLIC_URL.[/yellow]"
        )
    if secret_key:
        console.print(f"  Secret key      : [bold]{secret_key}[/bold]")
    else:
        console.print(
            "  Secret key      : (stored as a digest only; shown once at creation, "
            "or set THRESHOLD_SECRET_KEY)"
        )
    console.print(f"  JWKS            : {settings.public_url}/.well-known/jwks.json")


@app.command()
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

    settings = _settings()
    try:
        asyncio.run(_check_ready(settings))
    except ConfigurationError as exc:
        _fail(exc.message)
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
        _fail("--ssl-certfile and --ssl-keyfile go together.")
    for path in (certfile, keyfile):
        if not path.is_file():
            _fail(f"{path} is not a readable file.")
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


@app.command()
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
    settings = _settings(environment="development", public_url=public_url)
    certfile, keyfile = _dev_tls(settings) if https else (None, None)
    from threshold.store.db import Database

    Database(settings.resolved_database_url)
    upgrade(settings.resolved_database_url)
    info, secret_key = asyncio.run(_bootstrap(settings))
    console.print(
        f"\n[bold green]Threshold[/bold green] development server "
        f"({'created' if info.created else 'reusing'} instance {info.id})"
    )
    console.print(f"  Server          : {settings.public_url}")
    console.print(f"  Sign up         : {settings.public_url}/sign-up")
    console.print(f"  Sign in         : {settings.public_url}/sign-in")
    console.print(f"  Profile         : {settings.public_url}/user")
    console.print(f"  Dev mailbox     : {settings.public_url}/dev/mailbox")
    _print_keys(settings, info, secret_key)
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
                "THRESHOLD_PUBLISHABLE_KEY": _publishable_key(settings),
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


@keys_app.command("show")
def keys_show() -> None:
    """Print the publishable key, the secret key (when known), the JWKS URL and the PEM."""
    settings = _settings()
    info, secret_key = asyncio.run(_bootstrap(settings))
    _print_keys(settings, info, secret_key)
    console.print(f"  Backend JWKS    : {settings.public_url}/v1/jwks (Bearer secret key)")
    pem = asyncio.run(_active_pem(settings))
    console.print("  Public key (THRESHOLD_JWT_KEY):")
    console.print(pem, highlight=False)


async def _active_pem(settings: Any) -> str:
    from threshold.core.clock import SystemClock
    from threshold.services.instance.keyring import Keyring
    from threshold.store.db import Database

    db = Database(settings.resolved_database_url)
    try:
        ring = Keyring(db, SystemClock())
        await ring.load()
        return ring.active.public_pem()
    finally:
        await db.dispose()


@keys_app.command("rotate")
def keys_rotate(
    drop_old: Annotated[
        bool, typer.Option(help="Emergency: stop trusting old keys at once.")
    ] = False,
) -> None:
    """Add a new signing key; tokens signed by old keys stay valid until they expire."""
    import logging.config

    from threshold.core.clock import SystemClock
    from threshold.server.logs import log_config
    from threshold.services.instance.keyring import Keyring
    from threshold.store.db import Database

    settings = _settings()
    logging.config.dictConfig(log_config(access=False))  # the audit event, on stderr

    async def run() -> str:
        db = Database(settings.resolved_database_url)
        try:
            return (await Keyring.rotate(db, SystemClock(), drop_old=drop_old)).kid
        finally:
            await db.dispose()

    kid = asyncio.run(run())
    console.print(
        f"New signing key {kid}"
        + (
            " (old keys dropped)"
            if drop_old
            else " (old keys stay published until their tokens expire)"
        )
    )


@clerk_js_app.command("install")
def clerk_js_install(
    version: Annotated[
        str | None, typer.Option(help="Exact @clerk/clerk-js version (default: the tested one).")
    ] = None,
    ui_version: Annotated[
        str | None, typer.Option(help="Exact @clerk/ui version (default: the tested one).")
    ] = None,
    registry: Annotated[
        str | None, typer.Option(help="npm registry URL (default: npm's own configuration).")
    ] = None,
) -> None:
    """Download clerk-js and @clerk/ui from npm, check their integrity, unpack their dist."""
    import httpx

    from threshold.server.clerk_js import ScriptLibrary
    from threshold.server.clerk_js.install import PINNED, ScriptInstallError, install
    from threshold.server.clerk_js.registry import npm_registry

    settings = _settings()
    library = ScriptLibrary(settings.resolved_clerk_js_dir)
    source = npm_registry(registry, environ=os.environ, cwd=Path.cwd(), home=Path.home())
    wanted = {"clerk-js": version or PINNED["clerk-js"][0], "ui": ui_version or PINNED["ui"][0]}
    with httpx.Client(timeout=60, follow_redirects=True) as http:
        for package, exact in wanted.items():
            try:
                done = install(library, package, exact, registry=source, http=http)
            except ScriptInstallError as exc:
                _fail(exc.message)
            console.print(
                f"Installed @clerk/{package}@{done.version} ({done.files} files, "
                f"{done.integrity[:23]}...) in {done.directory}"
            )


@clerk_js_app.command("list")
def clerk_js_list() -> None:
    """Print the installed versions and the directory they are served from."""
    from threshold.server.clerk_js import PACKAGES, ScriptLibrary

    settings = _settings()
    library = ScriptLibrary(settings.resolved_clerk_js_dir)
    console.print(f"Scripts directory: {library.root}")
    for package in PACKAGES:
        versions = ", ".join(str(v) for v in library.installed(package)) or "(none)"
        console.print(f"  @clerk/{package}: {versions}")


def main() -> None:
    """Entry point of the ``threshold`` script."""
    app()
