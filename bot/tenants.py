"""Which organisations the bot serves: the Entra tenant an activity comes from, and the allow-list.

Teams names the tenant of every activity it sends in `channelData.tenant.id`, and usually in
`conversation.tenantId` too (the SDK's model keeps neither where the bot reads it). A validly
signed activity may come from any organisation that installed the app, so the tenant is checked
before anything is stored or said: children's case data stays with the partnerships' own tenants
(UK GDPR Article 5(1)(f), integrity and confidentiality; Article 32, security of processing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def claimed_tenants(body: Mapping[str, Any]) -> list[str]:
    """The tenant ids an activity's JSON names: `channelData.tenant.id`, `conversation.tenantId`.

    Read from the JSON, not the SDK's model: it maps the conversation's tenant to `tenantID`, so
    Teams' `tenantId` never reaches `ConversationAccount.tenant_id`.
    """
    data = body.get("channelData")
    tenant = data.get("tenant") if isinstance(data, dict) else None
    conversation = body.get("conversation")
    conversation = conversation if isinstance(conversation, dict) else {}
    named = [
        tenant.get("id") if isinstance(tenant, dict) else None,
        conversation.get("tenantId"),
        conversation.get("tenantID"),
    ]
    return [t for t in named if isinstance(t, str) and t]


@dataclass(frozen=True)
class TenantPolicy:
    """The tenants served; `allowed` None serves every tenant (a loopback development run)."""

    allowed: frozenset[str] | None

    def refused(self, body: Mapping[str, Any]) -> str | None:
        """None when the activity is served; else the tenant id to log ("" when it names none).

        An activity that names no tenant, or two that disagree, is refused while a list is in
        force: fail closed.
        """
        if self.allowed is None:
            return None
        claimed = claimed_tenants(body)
        if not claimed:
            return ""
        for tenant in claimed:
            if tenant.lower() not in self.allowed:
                return tenant
        return None
