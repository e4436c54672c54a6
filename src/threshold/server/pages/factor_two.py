"""``/sign-in/factor-two``: the second factor, for a sign-in whose first factor was
right and whose user set one up.

The page asks for what the registered strategy reads (its field: a code) and posts it
to ``attempt_second_factor``; a strategy that sends its code gets a "Send a code" form
(``prepare_second_factor``). The sign-in is the Client's own, so no id travels in URLs.
Without a sign-in waiting for a second factor, the browser goes back to ``/sign-in``.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from threshold.core.errors import ThresholdError
from threshold.core.records.sign_ins import SignInStatus
from threshold.server.pages.form_input import field_errors, form_status
from threshold.server.pages.page import Page, page_route
from threshold.services.auth import sign_in
from threshold.services.auth.sign_in_view import current_sign_in_view
from threshold.services.auth.strategies.base import Step, StrategyKind
from threshold.wire.sign_ins import SignInView

__all__ = ["PATH", "routes"]

PATH = "/sign-in/factor-two"
_KIND = StrategyKind.SECOND_FACTOR


async def _waiting(page: Page) -> SignInView | None:
    """The Client's sign-in, when it waits for a second factor it can be given."""
    view = await current_sign_in_view(page.ctx, page.state)
    if view is None or view.sign_in.status != SignInStatus.NEEDS_SECOND_FACTOR:
        return None
    return view if view.second_factors else None


async def _form(page: Page, view: SignInView, *, status: int = 200, **values: object) -> Response:
    offered = [f.strategy for f in view.second_factors or []]
    wanted = page.value("strategy")
    name = wanted if wanted in offered else offered[0]
    strategy = page.ctx.strategies.factor(_KIND, name, Step.ATTEMPT)
    assert strategy is not None
    return await page.render(
        "factor_two.html",
        status=status,
        title="Two-step verification",
        email=view.sign_in.identifier,
        strategy=name,
        field=strategy.field,
        sends=Step.PREPARE in strategy.steps,
        others=[o for o in offered if o != name],
        sent=page.value("sent") == "1",
        no_referrer=True,
        **values,
    )


@page_route
async def show(page: Page) -> Response:
    view = await _waiting(page)
    if view is None:
        return await page.redirect(page.link("/sign-in"))
    return await _form(page, view)


@page_route
async def submit(page: Page) -> Response:
    await page.read_form()
    view = await _waiting(page)
    if view is None:
        return await page.redirect(page.link("/sign-in"))
    name = page.value("strategy")
    strategy = page.ctx.strategies.factor(_KIND, name, Step.ATTEMPT)
    field = strategy.field if strategy is not None else "code"
    given = sign_in.FactorInput(name, "".join(page.value(field).split()) or None)
    try:
        await sign_in.attempt_factor(page.ctx, page.state, view.sign_in.id, _KIND, given)
    except sign_in.SignInExpiredError:
        return await page.redirect(page.link("/sign-in"))
    except ThresholdError as exc:
        errors, form_error = field_errors(exc, (field,))
        return await _form(
            page, view, status=form_status(exc), errors=errors, form_error=form_error
        )
    return await page.redirect(page.after_url, sync_session=True)


@page_route
async def send(page: Page) -> Response:
    await page.read_form()
    view = await _waiting(page)
    if view is None:
        return await page.redirect(page.link("/sign-in"))
    name = page.value("strategy")
    try:
        await sign_in.prepare_factor(
            page.ctx, page.state, view.sign_in.id, _KIND, sign_in.FactorInput(name)
        )
    except sign_in.SignInExpiredError:
        return await page.redirect(page.link("/sign-in"))
    except ThresholdError as exc:
        return await _form(page, view, status=form_status(exc), form_error=exc.message)
    return await page.redirect(page.link(PATH, strategy=name, sent="1"))


def after_first_factor(page: Page, status: SignInStatus) -> str | None:
    """Where a sign-in goes when its first factor was right but it waits for a second."""
    return page.link(PATH) if status == SignInStatus.NEEDS_SECOND_FACTOR else None


routes = [
    Route(PATH, show, methods=["GET"]),
    Route(PATH, submit, methods=["POST"]),
    Route(f"{PATH}/send", send, methods=["POST"]),
]
