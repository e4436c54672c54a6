"""``threshold webhooks add | list | remove | rotate-secret | replay | test``."""

from __future__ import annotations

from typing import Annotated

import typer

from threshold.cli._common import console, with_context

__all__ = ["webhooks_app"]

webhooks_app = typer.Typer(
    help="Manage webhook endpoints (changes reach running servers at once).",
    no_args_is_help=True,
)


@webhooks_app.command("add")
def webhooks_add(
    url: str,
    events: Annotated[str, typer.Option(help="Comma-separated event types (default: all).")] = "",
    description: Annotated[str, typer.Option(help="A note for yourself.")] = "",
) -> None:
    """Add an endpoint and print its signing secret (shown this once)."""
    from threshold.services.webhooks.endpoints import create_endpoint

    types = [e.strip() for e in events.split(",") if e.strip()] or None
    endpoint, secret = with_context(
        lambda ctx: create_endpoint(ctx, url, events=types, description=description)
    )
    console.print(f"Webhook endpoint {endpoint.id} -> {endpoint.url}")
    console.print(f"  Signing secret : [bold]{secret}[/bold] (shown once: keep it now)")


@webhooks_app.command("list")
def webhooks_list() -> None:
    """List the endpoints, with their state."""
    from threshold.services.webhooks.endpoints import list_endpoints

    found, _ = with_context(lambda ctx: list_endpoints(ctx, 500, 0))
    if not found:
        console.print("No webhook endpoints.")
    for e in found:
        state = e.status.value + (f" ({e.disabled_reason})" if e.disabled_reason else "")
        if e.failing_since is not None and e.status.value == "active":
            state += f", failing since {e.failing_since}"
        console.print(
            f"{e.id}  {e.url}  {state}  events: {','.join(e.event_types) or 'all'}"
            + (f"  {e.description}" if e.description else ""),
            highlight=False,
            soft_wrap=True,
        )


@webhooks_app.command("remove")
def webhooks_remove(endpoint_id: str) -> None:
    """Delete an endpoint with its pending deliveries and log."""
    from threshold.services.webhooks.endpoints import delete_endpoint

    console.print(f"Removed {with_context(lambda ctx: delete_endpoint(ctx, endpoint_id))}")


@webhooks_app.command("rotate-secret")
def webhooks_rotate_secret(endpoint_id: str) -> None:
    """Give an endpoint a new secret; the old one also signs for 24 hours."""
    from threshold.services.webhooks.endpoints import rotate_secret

    endpoint, secret = with_context(lambda ctx: rotate_secret(ctx, endpoint_id))
    console.print(f"New signing secret for {endpoint.id}: [bold]{secret}[/bold]")
    console.print("  The old secret keeps signing deliveries, next to the new one, for 24 hours.")


@webhooks_app.command("replay")
def webhooks_replay(
    event_id: str,
    endpoint: Annotated[str | None, typer.Option(help="Only to this endpoint id.")] = None,
) -> None:
    """Deliver an event again (same svix-id), through the running server's dispatcher."""
    from threshold.services.webhooks.endpoints import replay_event

    targets = with_context(lambda ctx: replay_event(ctx, event_id, endpoint))
    console.print(f"Event {event_id} queued for {len(targets)} endpoint(s): {' '.join(targets)}")


@webhooks_app.command("test")
def webhooks_test(url: str) -> None:
    """Send one signed webhook.test event to URL now and show the answer."""
    from threshold.services.webhooks.endpoints import send_test

    outcome, secret, fresh = with_context(lambda ctx: send_test(ctx, url))
    status = outcome.status_code if outcome.status_code is not None else "no answer"
    verdict = "[green]ok[/green]" if outcome.succeeded else f"[red]failed[/red] ({outcome.error})"
    console.print(f"{verdict}: {status} in {outcome.response_ms} ms")
    if outcome.response_head:
        console.print(f"  Response: {outcome.response_head[:200]!r}", highlight=False)
    if fresh:
        console.print(f"  Signed with a new secret (no endpoint has this URL): {secret}")
