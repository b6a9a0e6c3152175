"""What the browser tests share: the Chromium they need, a live server in a thread, the browser, and
a page of an app served live."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")

# Skipped only on a laptop without the browser; in CI it must be there.
needs_chromium = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason=f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium); in CI it must be there",
    ),
]


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Base URL of `app` served by uvicorn on a free loopback port, in a background thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Debian Chromium, allowed to play audio without a click."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            # audio plays without a click; the microphone is a fake device that beeps, allowed unasked
            args=["--autoplay-policy=no-user-gesture-required", "--use-fake-ui-for-media-stream",
                  "--use-fake-device-for-media-stream"],
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def served_page(app: Any, **context_options: Any) -> Iterator[Page]:
    """A page of a fresh browser context on `app` served live: relative addresses go to the app and a
    wait gives up after 8 seconds. `context_options` go to `new_context` (e.g. `accept_downloads`)."""
    with live_server(app) as url, chromium() as browser:
        context = browser.new_context(base_url=url, **context_options)
        context.set_default_timeout(8000)
        try:
            yield context.new_page()
        finally:
            context.close()
