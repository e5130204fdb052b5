"""The command line `dignity`: the server operator's tool, with direct access to the store."""

from dignity.cli.app import app, main

__all__ = ["app", "main"]
