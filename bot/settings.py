"""Settings, read once from the environment (and an optional .env file), validated, passed down."""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from pathlib import Path
from typing import Any, Literal, get_args

import psycopg
from psycopg.conninfo import conninfo_to_dict
from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.keys import HOW_TO_MAKE, parse_data_keys
from usecases.logs import JsonFormatter

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_PARTNERSHIPS = PROJECT_ROOT / "examples" / "partnerships.toml"

DATABASE_URL_SCHEMES = ("postgresql", "postgres")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]{0,20}$")
# An Entra tenant (directory) id is a GUID; test clients use other ids of the same letters.
_TENANT_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")

AppType = Literal["SingleTenant", "UserAssignedMSI", "MultiTenant"]
# The SDK compares the app type lower-cased; the Toolkit's Bicep writes `UserAssignedMsi`.
_APP_TYPES = {name.lower(): name for name in get_args(AppType)}
DatabaseAuth = Literal["password", "entra"]
_PUBLIC_HOST = r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$"

# The Azure Monitor exporter's own reports to Microsoft (statsbeat, SDK stats, remote settings)
# can be turned off only through the environment; set before it starts unless set already.
AZURE_MONITOR_OFF_SWITCHES = {
    "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true",
    "APPLICATIONINSIGHTS_SDKSTATS_DISABLED": "true",
    "APPLICATIONINSIGHTS_CONTROLPLANE_DISABLED": "true",
}


class SettingsError(ValueError):
    """Settings that cannot start the bot; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid settings:\n" + "\n".join(f"  {p}" for p in problems))


def is_loopback(host: str) -> bool:
    """Whether a bind address only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_database_url(value: str) -> str:
    """A PostgreSQL URL as given, or ValueError saying what is wrong without quoting it."""
    scheme, sep, _ = value.partition("://")
    # Name only the scheme, and only when it looks like one: the rest may hold a password.
    if not sep or scheme not in DATABASE_URL_SCHEMES:
        shown = f"it starts {scheme}://" if _SCHEME.match(scheme) and sep else "no scheme"
        raise ValueError(
            f"must be a PostgreSQL URL, postgresql://user@host:5432/database ({shown});"
            " leave it unset for the embedded store in REVIEW_BOT_DATA_DIR"
        )
    try:
        conninfo_to_dict(value)
    except psycopg.ProgrammingError:
        # libpq's own message may quote the password (a bad %-escape in it, say).
        raise ValueError(
            "not a URL PostgreSQL can read (check the port, and that special characters"
            " in the user or password are %-encoded)"
        ) from None
    return value


class Settings(BaseSettings):
    """Everything the bot needs to start; names are the environment variables'."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        frozen=True,
    )

    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("REVIEW_BOT_HOST"))
    port: int = Field(
        default=3978, ge=1, le=65535, validation_alias=AliasChoices("REVIEW_BOT_PORT")
    )
    data_dir: Path = Field(
        default=Path("data"), validation_alias=AliasChoices("REVIEW_BOT_DATA_DIR")
    )
    # Set, the store is this PostgreSQL database; unset, the embedded store in data_dir. The
    # URL may hold a password, so it is never shown.
    database_url: str | None = Field(
        default=None, repr=False, validation_alias=AliasChoices("REVIEW_BOT_DATABASE_URL")
    )
    # Per replica. The machine has 2 cores: a few connections keep PostgreSQL busy enough.
    database_pool_min: int = Field(
        default=1, ge=1, le=50, validation_alias=AliasChoices("REVIEW_BOT_DATABASE_POOL_MIN")
    )
    database_pool_max: int = Field(
        default=4, ge=1, le=50, validation_alias=AliasChoices("REVIEW_BOT_DATABASE_POOL_MAX")
    )
    partnerships: Path = Field(
        default=EXAMPLE_PARTNERSHIPS, validation_alias=AliasChoices("REVIEW_BOT_PARTNERSHIPS")
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", validation_alias=AliasChoices("REVIEW_BOT_LOG_LEVEL")
    )
    max_body_bytes: int = Field(
        default=256 * 1024,
        ge=1024,
        le=10 * 1024 * 1024,
        validation_alias=AliasChoices("REVIEW_BOT_MAX_BODY_BYTES"),
    )
    # How long a request's body may take to arrive (408 after): one sent a byte at a time
    # would otherwise hold a connection, and its memory, for as long as the client likes.
    body_timeout_s: float = Field(
        default=15.0, gt=0, le=300, validation_alias=AliasChoices("REVIEW_BOT_BODY_TIMEOUT")
    )
    draft_ttl_days: int = Field(
        default=14, ge=1, le=365, validation_alias=AliasChoices("REVIEW_BOT_DRAFT_TTL_DAYS")
    )
    bank_holidays: Path | None = Field(
        default=None, validation_alias=AliasChoices("REVIEW_BOT_BANK_HOLIDAYS")
    )
    app_id: str = Field(
        default="", validation_alias=AliasChoices("MicrosoftAppId", "MICROSOFTAPPID")
    )
    app_password: str = Field(
        default="", repr=False, validation_alias=AliasChoices("MicrosoftAppPassword")
    )
    app_type: AppType = Field(
        default="SingleTenant", validation_alias=AliasChoices("MicrosoftAppType")
    )
    app_tenant_id: str = Field(default="", validation_alias=AliasChoices("MicrosoftAppTenantId"))
    public_host: str | None = Field(
        default=None, pattern=_PUBLIC_HOST, validation_alias=AliasChoices("REVIEW_BOT_PUBLIC_HOST")
    )
    test_mode: bool = Field(default=False, validation_alias=AliasChoices("REVIEW_BOT_TEST_MODE"))
    reminders_enabled: bool = Field(
        default=True, validation_alias=AliasChoices("REVIEW_BOT_REMINDERS")
    )
    reminder_interval_s: int = Field(
        default=60, ge=5, le=3600, validation_alias=AliasChoices("REVIEW_BOT_REMINDER_INTERVAL")
    )
    graph_url: str = Field(
        default="https://graph.microsoft.com", validation_alias=AliasChoices("REVIEW_BOT_GRAPH_URL")
    )
    # The keys personal data is encrypted with at rest: `id:key,id:key`, the first for new
    # writes (storage/keys.py). In Azure, a Key Vault reference. Never shown.
    data_keys: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("REVIEW_BOT_DATA_KEYS")
    )
    # Only on a loopback development run without REVIEW_BOT_DATA_KEYS: a key made once and
    # kept here, beside the data directory, never inside it (see `key_file_path`).
    key_file: Path | None = Field(
        default=None, validation_alias=AliasChoices("REVIEW_BOT_KEY_FILE")
    )
    # Only tests point this elsewhere (a loopback fake of the Bot Framework's token keys).
    openid_metadata_url: str | None = Field(
        default=None, validation_alias=AliasChoices("REVIEW_BOT_OPENID_METADATA_URL")
    )
    # Entra tenant ids whose activities are served, comma-separated; empty: the app's own tenant
    # (MicrosoftAppTenantId), or, with neither, any tenant (see `served_tenants`).
    allowed_tenants: str = Field(
        default="", validation_alias=AliasChoices("REVIEW_BOT_ALLOWED_TENANTS")
    )
    log_format: Literal["text", "json"] = Field(
        default="text", validation_alias=AliasChoices("REVIEW_BOT_LOG_FORMAT")
    )
    # A user-assigned managed identity for Graph and PostgreSQL tokens; under UserAssignedMSI
    # it defaults to MicrosoftAppId (the identity is the bot).
    identity_client_id: str = Field(
        default="", validation_alias=AliasChoices("REVIEW_BOT_IDENTITY_CLIENT_ID")
    )
    # `entra`: the database password is an Entra token for the managed identity, fetched for
    # every new connection; `password`: whatever the URL says.
    database_auth: DatabaseAuth = Field(
        default="password", validation_alias=AliasChoices("REVIEW_BOT_DATABASE_AUTH")
    )
    # Set, traces, request metrics and logs (ids only) go to Application Insights.
    appinsights_connection_string: str | None = Field(
        default=None,
        repr=False,
        validation_alias=AliasChoices("APPLICATIONINSIGHTS_CONNECTION_STRING"),
    )

    @field_validator("app_type", mode="before")
    @classmethod
    def _app_type_any_case(cls, value: object) -> object:
        if isinstance(value, str):
            return _APP_TYPES.get(value.strip().lower(), value)
        return value

    @field_validator("appinsights_connection_string")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value.strip() if value and value.strip() else None

    @field_validator("app_id", "app_password", "app_tenant_id", "host", "identity_client_id")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("allowed_tenants")
    @classmethod
    def _tenant_ids(cls, value: str) -> str:
        ids = [part.strip() for part in value.split(",") if part.strip()]
        bad = [i for i in ids if not _TENANT_ID.match(i)]
        if bad:
            raise ValueError(
                f"{len(bad)} entr{'y is' if len(bad) == 1 else 'ies are'} not a tenant id: give"
                " each tenant's directory id (a GUID), comma-separated, not a domain name"
            )
        return ",".join(ids)

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return check_database_url(value.strip())

    @field_validator("data_keys")
    @classmethod
    def _data_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        parse_data_keys(value.get_secret_value())  # ValueError names the item, not the key
        return value

    @field_validator("app_id")
    @classmethod
    def _no_open_bot_beyond_loopback(cls, value: str, info: ValidationInfo) -> str:
        # A field check (not a model check) so it is reported alongside other field problems.
        host = info.data.get("host")
        if not value and host is not None and not is_loopback(host):
            raise ValueError(
                f"empty, so authentication is off, but REVIEW_BOT_HOST {host} is not a loopback"
                " address: anyone who can reach the bot could talk to it. Set MicrosoftAppId"
                " (and its credentials) or bind 127.0.0.1"
            )
        return value

    @model_validator(mode="after")
    def _safe(self) -> Settings:
        problems: list[str] = []
        if self.test_mode and (self.app_id or not is_loopback(self.host)):
            problems.append(
                "REVIEW_BOT_TEST_MODE: only with authentication off on a loopback address (it"
                " lets a caller move the bot's clock)"
            )
        if self.app_id:
            if self.app_type != "MultiTenant" and not self.app_tenant_id:
                problems.append(
                    f"MicrosoftAppTenantId: required when MicrosoftAppType is {self.app_type}"
                )
            if self.app_type != "UserAssignedMSI" and not self.app_password:
                problems.append(
                    f"MicrosoftAppPassword: required when MicrosoftAppType is {self.app_type}"
                )
        if self.app_id and self.served_tenants is None and not is_loopback(self.host):
            problems.append(
                "REVIEW_BOT_ALLOWED_TENANTS: required when MicrosoftAppType is MultiTenant and"
                " MicrosoftAppTenantId is unset: without it any organisation's Teams could use"
                " the bot"
            )
        problems.extend(self._database_auth_problems())
        # The host decides, not the credentials: on loopback (`make run`, the Toolkit's local
        # run behind a dev tunnel) a key file is made outside the data directory, with a
        # warning; anywhere else the keys must be given.
        if self.data_keys is None and not is_loopback(self.host):
            problems.append(
                f"REVIEW_BOT_DATA_KEYS: required beyond a loopback development run (REVIEW_BOT_HOST"
                f" {self.host} is not loopback): the personal data at rest is encrypted with"
                f" these keys. Give id:key, the key 32 random bytes in base64 ({HOW_TO_MAKE});"
                " in Azure, a Key Vault reference"
            )
        elif self.data_keys is None and self.key_file_path.resolve().is_relative_to(
            self.data_dir.resolve()
        ):
            problems.append(
                f"REVIEW_BOT_KEY_FILE: {self.key_file_path} is inside REVIEW_BOT_DATA_DIR: a"
                " copy of the data would carry the key that opens it; keep it outside"
            )
        if self.database_pool_min > self.database_pool_max:
            problems.append(
                "REVIEW_BOT_DATABASE_POOL_MIN: more than REVIEW_BOT_DATABASE_POOL_MAX"
                f" ({self.database_pool_min} > {self.database_pool_max})"
            )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _database_auth_problems(self) -> list[str]:
        if self.database_auth != "entra":
            return []
        if not self.database_url:
            return ["REVIEW_BOT_DATABASE_AUTH: entra needs REVIEW_BOT_DATABASE_URL"]
        problems = []
        if not self.managed_identity_client_id:
            problems.append(
                "REVIEW_BOT_DATABASE_AUTH: entra needs a managed identity: set"
                " REVIEW_BOT_IDENTITY_CLIENT_ID, or MicrosoftAppType UserAssignedMSI"
            )
        if conninfo_to_dict(self.database_url).get("password"):
            problems.append(
                "REVIEW_BOT_DATABASE_URL: holds a password, but REVIEW_BOT_DATABASE_AUTH is"
                " entra (the identity's token is the password): leave it out of the URL"
            )
        return problems

    @property
    def served_tenants(self) -> frozenset[str] | None:
        """The tenant ids whose activities are served (lower case); None: every tenant.

        REVIEW_BOT_ALLOWED_TENANTS if set, else the app's own tenant, else None: allowed only
        on a loopback address (authentication off, or a local test with credentials).
        """
        listed = [t for t in self.allowed_tenants.split(",") if t]
        if listed:
            return frozenset(t.lower() for t in listed)
        if self.app_tenant_id:
            return frozenset({self.app_tenant_id.lower()})
        return None

    @property
    def key_file_path(self) -> Path:
        """The development key file: REVIEW_BOT_KEY_FILE, else `<data dir>.keys` beside it."""
        if self.key_file is not None:
            return self.key_file
        data_dir = self.data_dir.absolute()
        if not data_dir.name:
            return data_dir / "review-bot.keys"  # the root as data directory: refused above
        return data_dir.with_name(f"{data_dir.name}.keys")

    @property
    def authentication_enabled(self) -> bool:
        """Whether incoming requests must carry a valid Bot Framework token."""
        return bool(self.app_id)

    @property
    def managed_identity_client_id(self) -> str | None:
        """The client id of the managed identity the bot gets tokens as, if it has one."""
        if self.identity_client_id:
            return self.identity_client_id
        if self.app_type == "UserAssignedMSI" and self.app_id:
            return self.app_id
        return None


class PackageSettings(BaseSettings):
    """What `review-bot package` reads: the bot's app id and public host, nothing secret."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    app_id: str = Field(
        default="", validation_alias=AliasChoices("MicrosoftAppId", "MICROSOFTAPPID")
    )
    public_host: str | None = Field(
        default=None, pattern=_PUBLIC_HOST, validation_alias=AliasChoices("REVIEW_BOT_PUBLIC_HOST")
    )


def load_package_settings() -> PackageSettings:
    """The app id and public host alone; SettingsError when the host name is malformed."""
    try:
        return PackageSettings()
    except ValidationError as exc:
        raise SettingsError([f"REVIEW_BOT_PUBLIC_HOST: {e['msg']}" for e in exc.errors()]) from None


def quiet_azure_monitor() -> None:
    """Turn off the Azure Monitor exporter's reports to Microsoft, unless set otherwise."""
    for name, value in AZURE_MONITOR_OFF_SWITCHES.items():
        os.environ.setdefault(name, value)


_ENV_NAMES = {
    name: (
        field.validation_alias.choices[0]
        if isinstance(field.validation_alias, AliasChoices)
        else name
    )
    for name, field in Settings.model_fields.items()
}


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment and .env; SettingsError has one line per problem."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems: list[str] = []
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            msg = str(err["msg"]).removeprefix("Value error, ")
            if loc:
                problems.append(f"{_ENV_NAMES.get(loc[0], loc[0])}: {msg}")
            else:
                problems.extend(line for line in msg.splitlines() if line)
        raise SettingsError(problems) from None


def configure_logging(settings: Settings) -> None:
    """Set up logging, plain text or one JSON object a line; ids only, never referral content."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter()
        if settings.log_format == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    logging.basicConfig(level=settings.log_level, handlers=[handler])
    # APScheduler logs every minute's tick at INFO; our runner logs what a tick did.
    logging.getLogger("apscheduler").setLevel(
        max(logging.WARNING, logging.getLevelName(settings.log_level))
    )
