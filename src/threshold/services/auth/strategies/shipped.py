"""The strategies Threshold ships, in the order a sign-in offers them."""

from __future__ import annotations

from threshold.services.auth.strategies.email_code import EmailCode
from threshold.services.auth.strategies.password import Password
from threshold.services.auth.strategies.registry import StrategyRegistry
from threshold.services.auth.strategies.reset_password_email_code import ResetPasswordEmailCode
from threshold.services.auth.strategies.sign_up_email_code import SignUpEmailCode
from threshold.services.auth.strategies.ticket import Ticket
from threshold.services.runtime.context import ServerContext

__all__ = ["default_strategies"]


def default_strategies() -> StrategyRegistry[ServerContext]:
    """A registry of Threshold's own strategies: ``password``, ``email_code``,
    ``reset_password_email_code`` and ``ticket`` for sign-ins, ``email_code`` for
    sign-ups. No second factor: a deployment registers one to ask for it."""
    return StrategyRegistry(
        [Password(), EmailCode(), ResetPasswordEmailCode(), Ticket(), SignUpEmailCode()]
    )
