"""The Teams app manifest: the template filled in, and checked before anything is built.

The manifest comes from `deploy/appPackage/manifest.template.json` with its `${{NAME}}`
placeholders filled (the Microsoft 365 Agents Toolkit's spelling, so its `teamsApp/zipAppPackage`
can fill the same file from `env/.env.*`); it is checked against the vendored official schema
(`deploy/schemas/v1.30/`) and this bot's own rules.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from teamsapp import APP_PACKAGE_DIR, DEPLOY_DIR
from teamsapp.icons import COLOR_ICON, OUTLINE_ICON

TEMPLATE_PATH = APP_PACKAGE_DIR / "manifest.template.json"
SCHEMA_VERSION = "1.30"
SCHEMA_PATH = DEPLOY_DIR / "schemas" / f"v{SCHEMA_VERSION}" / "MicrosoftTeams.schema.json"
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
_PLACEHOLDER = re.compile(r"\$\{\{([A-Z_]+)\}\}")
_MAX_MESSAGE = 160
# RFC 2606 reserves `.example`: the default links can never point at someone's real site.
_PLACEHOLDER_SITE = "https://partnership.example/"


class PackageError(Exception):
    """A package that must not be built; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


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
    # The names are the Toolkit's environment variables (env/.env.dev), so both fill one file.
    values: dict[str, str | None] = {
        "TEAMS_APP_ID": app_id,
        "BOT_ID": bot_id,
        "BOT_DOMAIN": domain or None,
        "APP_VERSION": version,
        "DEVELOPER_NAME": dev.name,
        "DEVELOPER_WEBSITE_URL": dev.website_url,
        "DEVELOPER_PRIVACY_URL": dev.privacy_url,
        "DEVELOPER_TERMS_URL": dev.terms_url,
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
