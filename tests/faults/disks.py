"""A small filesystem of its own (tmpfs), to fill up: needs root, or fails saying so.
The `small_disk` fixture is registered in tests/conftest.py."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest  # fail() below


def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(mount)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"this test mounts a small tmpfs and needs root: {done.stderr}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the disk is full; remove it to give the space back."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as handle:  # nothing left to flush on close
        try:
            while True:
                handle.write(b"\0" * 65536)
        except OSError:
            pass
    return filler
