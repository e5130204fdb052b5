"""Machinery of the browser tests: the real app under uvicorn, and Debian's chromium.

`serve` runs an app with uvicorn in a background thread on a free loopback port (the listening
socket is bound here, so no other process can take the port between choosing and binding it) and
stops it cleanly: `should_exit`, then the thread is joined. `chromium_executable` finds the browser
or skips the test, except in CI (CI=true), where a missing browser is a failure.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path(os.environ.get("DIGNITY_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
WAIT_SECONDS = 15.0


def chromium_executable() -> str:
    """The path of chromium; skips the calling test when it is missing (fails it in CI)."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return str(CHROMIUM)
    message = (
        f"chromium is not installed at {CHROMIUM}: run `make browser` "
        "(Debian's `chromium` package) or set DIGNITY_CHROMIUM"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI needs the browser tests: {message}", pytrace=False)
    pytest.skip(message)


def screenshot_path(name: str) -> Path:
    """Where a screenshot goes: artifacts/screenshots/, or its postgres/ folder in a PostgreSQL
    run (CI runs both suites at once; neither overwrites the other's pictures)."""
    folder = SCREENSHOTS
    if os.environ.get("DIGNITY_DATABASE_URL", "").startswith("postgresql"):
        folder = SCREENSHOTS / "postgres"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


@contextlib.contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 with its lifespan; yields the base URL, then stops the server."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with listener:
        # Accepted connections inherit this; without it each response waits ~40 ms on delayed ACK.
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        config = uvicorn.Config(
            app,
            lifespan="on",
            ws="none",
            access_log=False,
            server_header=False,
            log_config=None,  # leave the test process's logging alone
            log_level=None,
            timeout_graceful_shutdown=5,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [listener]}, name=f"uvicorn-{port}", daemon=True
        )
        thread.start()
        try:
            deadline = time.monotonic() + WAIT_SECONDS
            while not server.started:
                if not thread.is_alive():
                    raise RuntimeError("uvicorn stopped while starting (see the log above)")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"uvicorn did not start within {WAIT_SECONDS} s")
                time.sleep(0.02)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(WAIT_SECONDS)
    if thread.is_alive():
        raise RuntimeError(f"uvicorn did not stop within {WAIT_SECONDS} s")


@contextlib.contextmanager
def launched_chromium() -> Iterator[Browser]:
    """Debian's chromium, headless, driven by Playwright (skipped when missing; fails in CI)."""
    executable = chromium_executable()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        with contextlib.closing(browser):
            yield browser
