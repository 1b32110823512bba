"""The zip Teams installs the bot from: manifest.json and the two icons, checked first."""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from pathlib import Path

from teamsapp import APP_PACKAGE_DIR
from teamsapp.icons import COLOR_ICON, OUTLINE_ICON, check_icons
from teamsapp.manifest import Developer, PackageError, render_manifest, validate_manifest


def read_icons() -> tuple[bytes, bytes]:
    """The committed icons from deploy/appPackage; PackageError when one is missing."""
    icons: list[bytes] = []
    problems: list[str] = []
    for name in (COLOR_ICON, OUTLINE_ICON):
        path = APP_PACKAGE_DIR / name
        try:
            icons.append(path.read_bytes())
        except OSError as exc:
            problems.append(f"{path}: cannot read ({exc.strerror}); run python -m teamsapp.icons")
    if problems:
        raise PackageError(problems)
    return icons[0], icons[1]


def build_package(
    *,
    app_id: str,
    bot_id: str,
    domain: str | None,
    version: str,
    developer: Developer | None = None,
) -> bytes:
    """The app package as zip bytes; PackageError (one line per problem) when invalid."""
    manifest = render_manifest(
        app_id=app_id, bot_id=bot_id, domain=domain, version=version, developer=developer
    )
    color, outline = read_icons()
    problems = validate_manifest(manifest) + check_icons(color, outline)
    if problems:
        raise PackageError(problems)
    manifest_bytes = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in (
            ("manifest.json", manifest_bytes),
            (COLOR_ICON, color),
            (OUTLINE_ICON, outline),
        ):
            # A fixed timestamp: the same inputs give byte-for-byte the same package.
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def write_package(data: bytes, out: Path) -> None:
    """Write the zip to `out` (its folder created); OSError when it cannot be written."""
    partial = out.with_name(out.name + ".partial")
    try:
        # Written aside and renamed, so a failed write never leaves a half zip at `out`.
        out.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(data)
        partial.replace(out)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise
