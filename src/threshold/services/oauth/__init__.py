"""Social sign-in with OAuth 2.0 and OpenID Connect providers: starting a flow
(``authorization``), completing it into a verified profile and tokens (``completion``),
and the external accounts that keep the link and the tokens (``external_accounts``)."""

__all__: list[str] = []
