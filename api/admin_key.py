"""The embedded mode's admin key: `make run` must print a key that opens every route.

On the first `dom serve` of a data directory an admin key is issued and its token written
to `<data_dir>/admin.key` (mode 0600, readable by its owner only); every start prints it
with the URL. Delete the file (and revoke the key: `dom keys revoke ID`) to be given a new
one. PostgreSQL mode has no such file: its keys are made with `dom keys create`.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from api.bootstrap import Container
from api.keyring import new_key_id, new_secret

ADMIN_KEY_FILE = "admin.key"


def admin_key_file(dom: Container, now: datetime) -> str:
    """Embedded mode: the token of `<data_dir>/admin.key`, issued (an admin key) and written
    (mode 0600) on the first start; read on every later one."""
    path: Path = dom.settings.data_dir / ADMIN_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    granted = dom.access.issue_key(new_key_id(), new_secret(), ("admin", "dom serve", None),
                                   "dom serve (first start)", now)  # fmt: skip
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(granted.token + "\n")
    return granted.token


def told(data_dir: Path, token: str | None, url: str) -> list[str]:
    """What `dom serve` prints of the admin key, after its URL (nothing without one)."""
    if token is None:
        return []
    path = data_dir / ADMIN_KEY_FILE
    curl = f'  curl -H "Authorization: Bearer $(cat {path})" {url}/orders'
    return [f"admin key (in {path}): {token}", curl]
