"""A fake token issuer in place of Entra ID: the SDK's credentials, with tokens issued offline."""

from __future__ import annotations

from dataclasses import dataclass, field

from botframework.connector.auth import AppCredentials, ServiceClientCredentialsFactory


class FakeCredentials(AppCredentials):  # type: ignore[misc]
    """SDK credentials whose token comes from the fake issuer instead of msal."""

    def __init__(self, issuer: FakeTokenIssuer, app_id: str, oauth_scope: str | None) -> None:
        super().__init__(app_id=app_id, oauth_scope=oauth_scope)
        self._issuer = issuer

    def get_access_token(self, force_refresh: bool = False) -> str:
        """The issuer's current token, as msal hands back a cached or a refreshed one."""
        return self._issuer.current


@dataclass
class FakeTokenIssuer(ServiceClientCredentialsFactory):  # type: ignore[misc]
    """Builds credentials for one app id and issues its tokens; `refresh()` issues a new one."""

    app_id: str
    version: int = 1
    # Every set of credentials built: (app id, OAuth scope).
    built: list[tuple[str, str | None]] = field(default_factory=list)

    @property
    def current(self) -> str:
        """The token in force now."""
        return f"token-{self.version}"

    def refresh(self) -> None:
        """The token expires and the next one is issued (what msal does before expiry)."""
        self.version += 1

    async def is_valid_app_id(self, app_id: str) -> bool:
        """Whether the app id is the bot's."""
        return app_id == self.app_id

    async def is_authentication_disabled(self) -> bool:
        """Authentication is off only without an app id, as the SDK's factories decide."""
        return not self.app_id

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> AppCredentials:
        """Credentials for the bot's own app id; another raises, as the SDK's factory does."""
        if not await self.is_valid_app_id(app_id):
            raise PermissionError("Invalid app_id")
        self.built.append((app_id, oauth_scope))
        return FakeCredentials(self, app_id, oauth_scope)
