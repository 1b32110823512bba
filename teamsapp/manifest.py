"""`review-bot package`: build the Teams app package (manifest.json and two icons in a zip).

The manifest comes from `deploy/appPackage/manifest.template.json` with its `{{NAME}}`
placeholders filled; it is checked against the vendored official schema
(`deploy/schemas/v1.30/`) and this bot's own rules before any zip is written.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import io
import json
import re
import struct
import uuid
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from bot.settings import Settings
from cli.common import EXIT_OK, Subparsers, with_settings

COMMAND = "package"
EXIT_PROBLEMS = 1

DEPLOY_DIR = Path(__file__).resolve().parent.parent / "deploy"
APP_PACKAGE_DIR = DEPLOY_DIR / "appPackage"
TEMPLATE_PATH = APP_PACKAGE_DIR / "manifest.template.json"
SCHEMA_VERSION = "1.30"
SCHEMA_PATH = DEPLOY_DIR / "schemas" / f"v{SCHEMA_VERSION}" / "MicrosoftTeams.schema.json"
COLOR_ICON = "color.png"
OUTLINE_ICON = "outline.png"
COLOR_SIZE = 192
OUTLINE_SIZE = 32
PROJECT_DISTRIBUTION = "safeguarding-review-bot"
FALLBACK_VERSION = "0.1.0"

# Fixed, so every local build (authentication off, Agents Playground) gets the same ids and
# Teams treats a rebuilt package as an update of the same app, not a second app.
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:safeguarding-review-bot:teams-app")
LOCAL_DEV_BOT_ID = str(uuid.uuid5(_ID_NAMESPACE, "local"))

# Teams' own limits, tighter than the schema's for commands (the schema allows 128 / 4000).
MAX_SHORT_NAME = 30
MAX_FULL_NAME = 100
MAX_SHORT_DESCRIPTION = 80
MAX_FULL_DESCRIPTION = 4000
MAX_DEVELOPER_NAME = 32
MAX_COMMAND_TITLE = 32
MAX_COMMAND_DESCRIPTION = 128

_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
# The manifest schema's semver: X.Y.Z only, no pre-release or build suffix.
_SEMVER = re.compile(r"(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"(?:\*\.)?{_LABEL}(?:\.{_LABEL})*")
_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # PNG colour type -> samples per pixel (8-bit only)
_MAX_MESSAGE = 160
# RFC 2606 reserves `.example`: the default links can never point at someone's real site.
_PLACEHOLDER_SITE = "https://partnership.example/"


class PackageError(Exception):
    """A package that must not be built; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class PngError(ValueError):
    """Bytes that are not a PNG this module can read."""


@dataclass(frozen=True)
class Developer:
    """Who publishes the app, as Teams shows it on the app's About page."""

    # "Safeguarding Children Partnership" is 33 characters, one over Teams' limit of 32.
    name: str = "Safeguarding Partnership"
    website_url: str = _PLACEHOLDER_SITE
    privacy_url: str = _PLACEHOLDER_SITE + "privacy"
    terms_url: str = _PLACEHOLDER_SITE + "terms"

    @property
    def is_placeholder(self) -> bool:
        """Whether any URL is still a default one on the reserved `.example` domain."""
        return any(
            url.startswith(_PLACEHOLDER_SITE)
            for url in (self.website_url, self.privacy_url, self.terms_url)
        )


@dataclass(frozen=True)
class PngImage:
    """A decoded PNG: its header fields and, for 8-bit non-palette images, RGBA pixels."""

    width: int
    height: int
    bit_depth: int
    colour_type: int
    interlaced: bool
    rgba: bytes | None

    def pixels(self) -> Iterator[tuple[int, int, int, int]]:
        """Every pixel as (r, g, b, a); PngError when the pixels were not decoded."""
        if self.rgba is None:
            raise PngError(
                f"colour type {self.colour_type}, bit depth {self.bit_depth}"
                f"{', interlaced' if self.interlaced else ''}: pixels not decoded"
            )
        data = self.rgba
        for i in range(0, len(data), 4):
            yield data[i], data[i + 1], data[i + 2], data[i + 3]


def add_parser(subparsers: Subparsers) -> None:
    """Register the `package` subcommand and its options."""
    parser = subparsers.add_parser(
        COMMAND,
        help="build the Teams app package (manifest.json, color.png, outline.png in a zip)",
        description=(
            "Fill deploy/appPackage/manifest.template.json, check it against the Teams manifest "
            f"schema v{SCHEMA_VERSION} and the bot's own rules, check the icons, and write the "
            "zip to upload to Teams. Nothing is written when there is a problem."
        ),
    )
    parser.add_argument("--out", metavar="FILE.zip", type=Path, required=True, help="zip to write")
    parser.add_argument(
        "--app-id",
        metavar="GUID",
        help="the bot's Microsoft app id (default: MicrosoftAppId, else a fixed local-dev id)",
    )
    parser.add_argument(
        "--domain",
        metavar="HOST",
        help="the bot's public host name for validDomains (default: REVIEW_BOT_PUBLIC_HOST)",
    )
    parser.add_argument(
        "--version",
        metavar="X.Y.Z",
        help="the app version; raise it for every upload (default: the project's version)",
    )
    defaults = Developer()
    parser.add_argument(
        "--developer-name", metavar="NAME", help=f"publisher (default: {defaults.name!r})"
    )
    parser.add_argument("--website-url", metavar="URL", help="publisher's support page")
    parser.add_argument("--privacy-url", metavar="URL", help="privacy notice")
    parser.add_argument("--terms-url", metavar="URL", help="terms of use")
    parser.set_defaults(handler=with_settings(_with_settings_ids))


def _with_settings_ids(
    args: argparse.Namespace, settings: Settings, *, stdout: TextIO, stderr: TextIO
) -> int:
    return run(
        args, app_id=settings.app_id, public_host=settings.public_host, stdout=stdout, stderr=stderr
    )


def project_version() -> str:
    """The installed project's version, or 0.1.0 when it is not installed."""
    try:
        return importlib.metadata.version(PROJECT_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return FALLBACK_VERSION


def is_guid(value: str) -> bool:
    """Whether a string is a GUID in its 8-4-4-4-12 hex form."""
    return _GUID.fullmatch(value) is not None


def teams_app_id_for(bot_id: str) -> str:
    """The Teams app id: the bot id itself when it is a GUID, else a GUID derived from it."""
    if is_guid(bot_id):
        return bot_id
    return str(uuid.uuid5(_ID_NAMESPACE, bot_id))


def render_manifest(
    *,
    app_id: str,
    bot_id: str,
    domain: str | None,
    version: str,
    developer: Developer | None = None,
    template: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest: the template with every placeholder filled (no domain: no validDomains)."""
    dev = developer or Developer()
    values: dict[str, str | None] = {
        "APP_ID": app_id,
        "BOT_ID": bot_id,
        "DOMAIN": domain or None,
        "VERSION": version,
        "DEVELOPER_NAME": dev.name,
        "WEBSITE_URL": dev.website_url,
        "PRIVACY_URL": dev.privacy_url,
        "TERMS_URL": dev.terms_url,
    }
    source = template if template is not None else load_template()
    filled = _fill(source, values)
    if not isinstance(filled, dict):
        raise PackageError([f"{TEMPLATE_PATH.name}: not a JSON object"])
    return filled


def load_template() -> dict[str, Any]:
    """The manifest template as JSON; PackageError when it is missing or broken."""
    try:
        loaded = json.loads(TEMPLATE_PATH.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PackageError([f"{TEMPLATE_PATH}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PackageError([f"{TEMPLATE_PATH}: cannot read ({exc})"]) from None
    except json.JSONDecodeError as exc:
        raise PackageError([f"{TEMPLATE_PATH}: not JSON ({exc})"]) from None
    if not isinstance(loaded, dict):
        raise PackageError([f"{TEMPLATE_PATH}: not a JSON object"])
    return loaded


def _fill(value: Any, values: dict[str, str | None]) -> Any:
    if isinstance(value, dict):
        return {key: _fill(item, values) for key, item in value.items()}
    if isinstance(value, list):
        # A list item that is only an empty placeholder (no domain given) is left out.
        return [_fill(item, values) for item in value if not _unset(item, values)]
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            filled = values.get(match.group(1))
            return match.group(0) if filled is None else filled

        return _PLACEHOLDER.sub(replace, value)
    return value


def _unset(item: Any, values: dict[str, str | None]) -> bool:
    if not isinstance(item, str):
        return False
    match = _PLACEHOLDER.fullmatch(item)
    return match is not None and match.group(1) in values and values[match.group(1)] is None


def load_schema() -> dict[str, Any]:
    """The vendored Teams manifest JSON schema; PackageError when it is missing."""
    try:
        loaded = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PackageError(
            [f"{SCHEMA_PATH}: no such file (the vendored manifest schema)"]
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackageError([f"{SCHEMA_PATH}: cannot read the manifest schema ({exc})"]) from None
    if not isinstance(loaded, dict):
        raise PackageError([f"{SCHEMA_PATH}: not a JSON object"])
    return loaded


def validate_manifest(manifest: dict[str, Any]) -> list[str]:
    """Problems with a manifest, one line each (`path: what is wrong`); empty when it is fine."""
    own = list(_own_problems(manifest))
    try:
        import jsonschema
    except ImportError:
        return [f"{path}: {message}" for path, message in own] + [
            "jsonschema is needed to validate: pip install jsonschema"
        ]
    try:
        schema = load_schema()
    except PackageError as exc:
        return [f"{path}: {message}" for path, message in own] + exc.problems
    seen = {path for path, _ in own}
    found: list[tuple[str, str]] = []
    try:
        errors = sorted(
            jsonschema.Draft4Validator(schema).iter_errors(manifest),
            key=lambda e: [str(p) for p in e.absolute_path],
        )
    except re.error as exc:
        # A few patterns (Office add-in parts) are ECMAScript-only, e.g. \p{L}; a bot never
        # reaches them, but a manifest that does cannot be checked here.
        problem = f"a schema pattern Python cannot run ({exc}); check it with Teams' validator"
        return [f"{path}: {message}" for path, message in own] + [f"manifest: {problem}"]
    for error in errors:
        path = _json_path(list(error.absolute_path))
        # The bot's own check on the same field already says it more plainly.
        if any(path == p or path.startswith((p + ".", p + "[")) for p in seen):
            continue
        message = str(error.message)
        if len(message) > _MAX_MESSAGE:
            message = message[: _MAX_MESSAGE - 1] + "…"
        found.append((path, f"{message} (schema v{SCHEMA_VERSION})"))
    return [f"{path}: {message}" for path, message in [*own, *found]]


def _json_path(parts: list[Any]) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "manifest"


def _own_problems(manifest: dict[str, Any]) -> Iterator[tuple[str, str]]:
    yield from _placeholders_left(manifest, "")
    declared = manifest.get("manifestVersion")
    if declared != SCHEMA_VERSION:
        yield "manifestVersion", f"{declared!r}, but the vendored schema is v{SCHEMA_VERSION}"
    app_id = manifest.get("id")
    if not isinstance(app_id, str) or not is_guid(app_id):
        yield "id", f"{app_id!r} is not a GUID"
    version = manifest.get("version")
    if not isinstance(version, str) or _SEMVER.fullmatch(version) is None:
        yield "version", f"{version!r} is not X.Y.Z (semver, no pre-release suffix)"
    yield from _text(manifest, ("name", "short"), MAX_SHORT_NAME)
    yield from _text(manifest, ("name", "full"), MAX_FULL_NAME, required=False)
    yield from _text(manifest, ("description", "short"), MAX_SHORT_DESCRIPTION)
    yield from _text(manifest, ("description", "full"), MAX_FULL_DESCRIPTION)
    yield from _text(manifest, ("developer", "name"), MAX_DEVELOPER_NAME)
    yield from _urls(manifest, "")
    yield from _domains(manifest.get("validDomains"))
    yield from _icons(manifest.get("icons"))
    bots = manifest.get("bots")
    for i, bot in enumerate(bots if isinstance(bots, list) else []):
        yield from _bot(bot, f"bots[{i}]")


def _placeholders_left(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _placeholders_left(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _placeholders_left(item, f"{path}[{i}]")
    elif isinstance(value, str) and "{{" in value:
        yield path, f"placeholder left unfilled in {value!r}"


def _text(
    manifest: dict[str, Any], keys: tuple[str, str], limit: int, *, required: bool = True
) -> Iterator[tuple[str, str]]:
    path = ".".join(keys)
    parent = manifest.get(keys[0])
    value = parent.get(keys[1]) if isinstance(parent, dict) else None
    if value is None and not required:
        return
    if not isinstance(value, str) or not value.strip():
        yield path, "missing or empty"
    elif len(value) > limit:
        yield path, f"{len(value)} characters, at most {limit}"


def _urls(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if isinstance(item, str) and (key == "$schema" or key.lower().endswith("url")):
                problem = url_problem(item)
                if problem:
                    yield where, problem
            else:
                yield from _urls(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _urls(item, f"{path}[{i}]")


def url_problem(url: str) -> str | None:
    """What is wrong with a URL the manifest links to (https, a host, no spaces); None if fine."""
    if "{{" in url:
        return None  # reported once, as an unfilled placeholder
    if any(ch.isspace() for ch in url):
        return f"{url!r} contains spaces"
    try:
        parts = urlsplit(url)
        _ = parts.port  # read only so that a bad port is reported as malformed
    except ValueError:
        return f"{url!r} is not a well-formed URL"
    if parts.scheme != "https":
        return f"{url!r} must start with https://"
    host = parts.hostname or ""
    if not _HOST.fullmatch(host) or host.startswith("*."):
        return f"{url!r} has no valid host name"
    return None


def domain_problem(domain: str) -> str | None:
    """What is wrong with a validDomains entry (a bare host, `*.` allowed); None if fine."""
    if "{{" in domain:
        return None
    if _HOST.fullmatch(domain) and len(domain) <= 253:
        return None
    host = urlsplit(domain).hostname if "://" in domain else None
    hint = f", e.g. {host}" if host else ""
    return f"{domain!r} must be a bare host name (no scheme, port or path){hint}"


def _domains(domains: Any) -> Iterator[tuple[str, str]]:
    if domains is None:
        return
    if not isinstance(domains, list):
        yield "validDomains", "must be a list of host names"
        return
    for i, domain in enumerate(domains):
        problem = domain_problem(domain) if isinstance(domain, str) else "must be a host name"
        if problem:
            yield f"validDomains[{i}]", problem


def _icons(icons: Any) -> Iterator[tuple[str, str]]:
    if not isinstance(icons, dict):
        return  # the schema says icons is required
    for key, name in (("color", COLOR_ICON), ("outline", OUTLINE_ICON)):
        if icons.get(key) != name:
            yield f"icons.{key}", f"{icons.get(key)!r}: the package ships {name!r}"


def _bot(bot: Any, path: str) -> Iterator[tuple[str, str]]:
    if not isinstance(bot, dict):
        return
    bot_id = bot.get("botId")
    if not isinstance(bot_id, str) or not is_guid(bot_id):
        yield f"{path}.botId", f"{bot_id!r} is not a GUID"
    lists = bot.get("commandLists")
    for j, command_list in enumerate(lists if isinstance(lists, list) else []):
        commands = command_list.get("commands") if isinstance(command_list, dict) else None
        titles: set[str] = set()
        for k, command in enumerate(commands if isinstance(commands, list) else []):
            where = f"{path}.commandLists[{j}].commands[{k}]"
            if not isinstance(command, dict):
                continue
            for field, limit in (
                ("title", MAX_COMMAND_TITLE),
                ("description", MAX_COMMAND_DESCRIPTION),
            ):
                value = command.get(field)
                if not isinstance(value, str) or not value.strip():
                    yield f"{where}.{field}", "missing or empty"
                elif len(value) > limit:
                    yield f"{where}.{field}", f"{len(value)} characters, at most {limit}"
            title = command.get("title")
            if isinstance(title, str):
                if title.lower() in titles:
                    yield f"{where}.title", f"{title!r} appears twice in this list"
                titles.add(title.lower())


def decode_png(data: bytes) -> PngImage:
    """Read a PNG's header and, for 8-bit non-palette non-interlaced images, its pixels."""
    if not data.startswith(_PNG_SIGNATURE):
        raise PngError("not a PNG file")
    pos = len(_PNG_SIGNATURE)
    header: tuple[int, ...] | None = None
    idat = bytearray()
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        tag = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length] or b"\0\0\0\0")
        if len(body) != length or zlib.crc32(tag + body) & 0xFFFFFFFF != crc:
            raise PngError(f"chunk {tag!r} is truncated or corrupt")
        pos += 12 + length
        if tag == b"IHDR":
            if length != 13:
                raise PngError("bad IHDR chunk")
            header = struct.unpack(">IIBBBBB", body)
        elif tag == b"IDAT":
            idat += body
        elif tag == b"IEND":
            break
    if header is None:
        raise PngError("no IHDR chunk")
    width, height, depth, colour, _, _, interlace = header
    if width == 0 or height == 0:
        raise PngError("zero width or height")
    rgba = None
    if depth == 8 and colour in _CHANNELS and interlace == 0:
        rgba = _to_rgba(_unfilter(idat, width, height, _CHANNELS[colour]), colour)
    return PngImage(width, height, depth, colour, interlace == 1, rgba)


def _unfilter(idat: bytes | bytearray, width: int, height: int, bpp: int) -> bytes:
    try:
        raw = zlib.decompress(bytes(idat))
    except zlib.error as exc:
        raise PngError(f"image data does not decompress ({exc})") from None
    stride = width * bpp
    if len(raw) < height * (stride + 1):
        raise PngError("image data is shorter than the image")
    out = bytearray()
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        for x in range(stride):
            left = line[x - bpp] if x >= bpp else 0
            up = previous[x]
            corner = previous[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                line[x] = (line[x] + _paeth(left, up, corner)) & 0xFF
            elif kind != 0:
                raise PngError(f"unknown filter type {kind} on row {y}")
        out += line
        previous = line
    return bytes(out)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _to_rgba(samples: bytes, colour: int) -> bytes:
    if colour == 6:
        return samples
    out = bytearray()
    if colour == 2:
        for i in range(0, len(samples), 3):
            out += samples[i : i + 3] + b"\xff"
    elif colour == 4:
        for i in range(0, len(samples), 2):
            grey, alpha = samples[i], samples[i + 1]
            out += bytes((grey, grey, grey, alpha))
    else:
        for grey in samples:
            out += bytes((grey, grey, grey, 255))
    return bytes(out)


def check_icons(color: bytes, outline: bytes) -> list[str]:
    """Problems with the two icons Teams needs, one line each; empty when both are fine."""
    problems: list[str] = []
    for name, data, size in (
        (COLOR_ICON, color, COLOR_SIZE),
        (OUTLINE_ICON, outline, OUTLINE_SIZE),
    ):
        try:
            image = decode_png(data)
        except PngError as exc:
            problems.append(f"{name}: {exc}")
            continue
        if (image.width, image.height) != (size, size):
            problems.append(f"{name}: {image.width}×{image.height}, must be {size}×{size}")
        if name == OUTLINE_ICON:
            problems.extend(f"{name}: {p}" for p in _outline_problems(image))
    return problems


def _outline_problems(image: PngImage) -> list[str]:
    if image.colour_type not in (4, 6) or image.rgba is None:
        return [
            "must be an 8-bit PNG with an alpha channel (RGBA), not interlaced, so that it can"
            f" be checked white on transparent (colour type {image.colour_type},"
            f" bit depth {image.bit_depth})"
        ]
    coloured = opaque = 0
    for r, g, b, a in image.pixels():
        if a == 0:
            continue
        opaque += 1
        if (r, g, b) != (255, 255, 255):
            coloured += 1
    if coloured:
        return [f"{coloured} pixel(s) neither white nor fully transparent; Teams needs white only"]
    if not opaque:
        return ["fully transparent: nothing would show"]
    if opaque == image.width * image.height and image.colour_type == 6:
        return ["no transparent pixels: the background must be transparent"]
    return []


def read_icons() -> tuple[bytes, bytes]:
    """The committed icons from deploy/appPackage; PackageError when one is missing."""
    icons: list[bytes] = []
    problems: list[str] = []
    for name in (COLOR_ICON, OUTLINE_ICON):
        path = APP_PACKAGE_DIR / name
        try:
            icons.append(path.read_bytes())
        except OSError as exc:
            problems.append(f"{path}: cannot read ({exc.strerror}); run python deploy/icons.py")
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


def run(
    args: argparse.Namespace,
    *,
    app_id: str,
    public_host: str | None,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """Build and write the package; exit 1 with one line per problem, and no zip, if invalid."""
    bot_id = (args.app_id or "").strip() or app_id.strip() or LOCAL_DEV_BOT_ID
    teams_app_id = teams_app_id_for(bot_id)
    domain = (args.domain if args.domain is not None else public_host or "").strip() or None
    version = (args.version or "").strip() or project_version()
    defaults = Developer()
    developer = Developer(
        name=args.developer_name or defaults.name,
        website_url=args.website_url or defaults.website_url,
        privacy_url=args.privacy_url or defaults.privacy_url,
        terms_url=args.terms_url or defaults.terms_url,
    )
    out: Path = args.out
    try:
        data = build_package(
            app_id=teams_app_id, bot_id=bot_id, domain=domain, version=version, developer=developer
        )
    except PackageError as exc:
        stderr.write(f"review-bot package: not built, {len(exc.problems)} problem(s):\n")
        stderr.writelines(f"  {problem}\n" for problem in exc.problems)
        return EXIT_PROBLEMS
    partial = out.with_name(out.name + ".partial")
    try:
        # Written aside and renamed, so a failed write never leaves a half zip at --out.
        out.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(data)
        partial.replace(out)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        stderr.write(f"review-bot package: cannot write {out}: {exc.strerror or exc}\n")
        return EXIT_PROBLEMS
    local = bot_id == LOCAL_DEV_BOT_ID
    stdout.write(f"wrote {out} (Teams manifest v{SCHEMA_VERSION}, app version {version})\n")
    stdout.write(f"  app id: {teams_app_id}\n")
    stdout.write(
        f"  bot id: {bot_id}"
        + (" (local development id: authentication off, not for a real tenant)" if local else "")
        + "\n"
    )
    stdout.write(f"  valid domain: {domain or 'none'}\n")
    if developer.is_placeholder:
        stdout.write(
            "  note: developer links are placeholders on partnership.example; pass --website-url,"
            " --privacy-url and --terms-url before publishing\n"
        )
    return EXIT_OK
