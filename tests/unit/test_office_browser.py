"""报送情况 in a real browser: headless Chromium renders the quarter's page (served by the plugin's
app through uvicorn on 127.0.0.1) and the unit matrix lays out as a table of 16 rows with coloured
cells. Skipped, with the reason, where no Chromium is installed."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time

import pytest

from tests.unit.test_office_page import site  # noqa: F401  (the fixture: warehouse, output, token)

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome",
                                                        "google-chrome-stable", "headless_shell")) if p), None)


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (chromium, chromium-browser, "
                                              "google-chrome): the page's layout is not checked in a browser")
def test_the_quarter_lays_out_in_chromium(site, tmp_path):  # noqa: F811
    import uvicorn

    client, token, _ = site

    async def logged_in(scope, receive, send):
        """The app as a logged-in browser sees it (Chromium cannot be handed the UI's cookie)."""
        if scope["type"] == "http":
            scope = {**scope, "headers": [*scope["headers"], (b"authorization", f"Bearer {token}".encode())]}
        await client.app(scope, receive, send)

    server = uvicorn.Server(uvicorn.Config(logged_in, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        url = f"http://127.0.0.1:{port}/keyprojects/office/2022Q4"
        flags = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'p'}",
                 "--window-size=1280,2000"]
        dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120)
        assert dom.returncode == 0, dom.stderr[-2000:]
        assert dom.stdout.count('<td class="ok">') > 20 and "逾期报送" in dom.stdout and "退回 2 行" in dom.stdout
        shot = tmp_path / "page.png"
        run = subprocess.run([*flags, f"--screenshot={shot}", url], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0 and shot.is_file() and shot.stat().st_size > 10_000, run.stderr[-2000:]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
