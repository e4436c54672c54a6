"""Sign-in factors and sign-up verifications, one module each, registered in one table
(:mod:`.registry`); :mod:`.base` says what a strategy is."""

__all__: list[str] = []
