"""SDK tests: verification, request rules, actions, client, and the framework adapters."""
