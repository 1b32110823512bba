"""Counting what the embedded store writes: bytes renamed into place, lines listed."""

from __future__ import annotations

import os
from pathlib import Path


class CountingReplace:
    """Stands in for os.replace in a TinyDBStore, counting the bytes of each file written."""

    def __init__(self) -> None:
        self.written: dict[Path, int] = {}

    def __call__(self, src: str, dst: Path) -> None:
        self.written[dst] = self.written.get(dst, 0) + os.path.getsize(src)
        os.replace(src, dst)


def manifest_bytes(directory: Path) -> int:
    """The size of every collection's MANIFEST (it grows by a line per new file)."""
    return sum(p.stat().st_size for p in directory.glob("*/MANIFEST"))


def file_count(directory: Path) -> int:
    """How many document files a data directory holds."""
    return sum(1 for _ in directory.rglob("*.json"))
