"""Where does Rasa's start-up go? Starts `rasa run --debug` on the built model (or the
folder/archive given) and prints the time of each phase, from process start until the
server answers.

Usage: .venv/bin/python bench/rasa_startup.py [--model=PATH]
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from core.processes import process_env, rasa_command
from core.settings import get_settings

PHASES = [
    ("python imports + CLI", re.compile(r"Starting Rasa server")),
    ("unpack model archive", re.compile(r"Loading model .*\.tar\.gz")),
]
NODE_LOAD = re.compile(r"Node '([^']+)' loading '(\w+)\.load'")


def main() -> None:
    update = {"rasa_port": 5999, "rasa_token": "bench", "tracker_db": Path(tempfile.mkdtemp()) / "t.db"}
    model = next((Path(a.split("=", 1)[1]) for a in sys.argv[1:] if a.startswith("--model=")), None)
    if model is not None and model.is_file():
        update["models_dir"] = Path(tempfile.mkdtemp())
        shutil.copy(model, update["models_dir"] / model.name)
    elif model is not None:
        update["models_dir"] = model
    settings = get_settings().model_copy(update=update)
    argv = rasa_command(settings) + ["--debug"]
    started = time.monotonic()
    proc = subprocess.Popen(argv, env=process_env(settings), cwd=settings.root,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    marks: list[tuple[float, str]] = []

    def read() -> None:
        for line in proc.stdout:
            now = time.monotonic() - started
            for label, pattern in PHASES:
                if pattern.search(line):
                    marks.append((now, label))
            node = NODE_LOAD.search(line)
            if node:
                marks.append((now, f"start loading {node.group(2)} ({node.group(1)})"))

    threading.Thread(target=read, daemon=True).start()
    while True:
        try:
            if httpx.get(f"{settings.rasa_url}/", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.25)
    ready = time.monotonic() - started
    proc.terminate()
    proc.wait()
    previous = 0.0
    print(f"{'at (s)':>8} {'+ (s)':>7}  event")
    for at, label in marks + [(ready, "HTTP server answers")]:
        print(f"{at:8.1f} {at - previous:7.1f}  {label}")
        previous = at


if __name__ == "__main__":
    main()
