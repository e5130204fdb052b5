"""Security foundation: keys and, as they land, accounts, sessions, MFA, roles and encryption."""
