"""The web app as its own process (uvicorn, configured by SHOPBOT_* like `shopbot run`)."""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from core.processes import process_env, wait_until_up, web_command
from core.settings import Settings


@dataclass
class WebApp:
    settings: Settings
    proc: subprocess.Popen
    url: str

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_web(settings: Settings, workdir: Path, extra_env: dict[str, str] | None = None) -> WebApp:
    """uvicorn serving web.app on settings.web_port, configured by SHOPBOT_* like `shopbot run`."""
    env = {**process_env(settings), **(extra_env or {})}
    log = open(workdir / f"web-{settings.web_port}.log", "ab")
    proc = subprocess.Popen(web_command(settings), env=env, cwd=settings.root, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://{settings.host}:{settings.web_port}"
    try:
        wait_until_up(f"{url}/static/widget/daogou.js", 60, proc)
    except Exception:
        WebApp(settings, proc, url).stop()
        raise
    return WebApp(settings, proc, url)
