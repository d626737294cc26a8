"""Run by pywb's own interpreter (a separate virtualenv: pywb pins versions the service cannot
use, and patches the standard library with gevent on import). In a new directory it makes a
pywb collection of one WARC with `wb-manager`, then asks pywb's WSGI application, in this
process, for each URL, and prints what it answered as JSON lines.

    .venv-pywb/bin/python tests/e2e/pywb/replay.py DIR WARC URL...
"""

import json
import os
import subprocess
import sys
from pathlib import Path


def main(directory: str, warc: str, urls: list[str]) -> None:
    os.chdir(directory)
    manager = str(Path(sys.executable).with_name("wb-manager"))
    subprocess.run([manager, "init", "snapshot"], check=True, capture_output=True)
    subprocess.run([manager, "add", "snapshot", warc], check=True, capture_output=True)

    from pywb.apps.frontendapp import FrontEndApp
    from werkzeug.test import Client

    client = Client(FrontEndApp())
    for url in urls:
        # `mp_`: the page itself, rewritten, without pywb's frame around it.
        answer = client.get(f"/snapshot/2100mp_/{url}", follow_redirects=True)
        body = answer.get_data()
        print(
            json.dumps(
                {
                    "url": url,
                    "status": answer.status_code,
                    "content_type": answer.headers.get("Content-Type", ""),
                    "memento": answer.headers.get("Memento-Datetime"),
                    "text": body.decode("utf-8", "replace"),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
