"""Identity: persons (PINFL), accounts and roles, passwords, sessions and API tokens."""
