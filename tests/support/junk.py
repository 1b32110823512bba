"""A seeded mutator of Teams activities and card payloads: junk for the HTTP edge to survive.

Every body starts as an activity Teams really sends (typed messages, card submits, Action.Execute
on case cards and reminders, installs, other invokes) and has one to four mutations applied: a
field deleted, replaced by a value of another type, a huge or control-character string, deep
nesting, NaN. The same seed gives the same bodies, so a failure is found again by its index.
The service URL is never pointed anywhere but the fake connector or a closed loopback port.
"""

from __future__ import annotations

import copy
import json
import math
import random
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from safeguarding.decisions import DecisionKind
from tests.support import activities
from tests.support.referral import STEPS

LA_LEAD = {"id": "29:la", "name": "LA Lead", "aadObjectId": "00000000-0000-0000-0000-0000000000a1"}

_STRINGS = [
    "",
    " ",
    "\n",
    "a\nFORGED INFO log line",
    "\r\n\x1b[31mred\x1b[0m",
    "\x00\x01\x02",
    "\u2028\u2029",
    "\u202egnirts desrever",
    "💥🧒🏽‍🦱",
    "<at>Case Review Referrals</at>",
    "<at>(</at>",
    "[link](javascript:alert(1))",
    "<script>alert(1)</script>",
    "%s%s%s%n",
    "{0}{name}",
    "COV 2026 001",
    "COV-2026-001",
    "COV-2026-001\n",
    "../../etc/passwd",
    "true",
    "false",
    "null",
    "-1",
    "1e309",
    "2026-02-30",
    "adaptiveCard/action",
    "invoke",
    "message",
    "Ω" * 200,
]
_CONTENT = frozenset({"value", "text", "entities", "membersAdded", "from", "recipient", "name"})
_INVOKE_NAMES = [
    "adaptiveCard/action",
    "task/fetch",
    "task/submit",
    "composeExtension/query",
    "composeExtension/submitAction",
    "composeExtension/queryLink",
    "composeExtension/fetchTask",
    "signin/verifyState",
    "signin/tokenExchange",
    "fileConsent/invoke",
    "actionableMessage/executeAction",
    "config/fetch",
    "config/submit",
    "tab/fetch",
    "message/submitAction",
    "handoff/action",
    "healthCheck",
    "application/search",
    "",
    "x\ny",
]
_TYPES = [
    "message",
    "invoke",
    "conversationUpdate",
    "installationUpdate",
    "event",
    "typing",
    "messageReaction",
    "messageUpdate",
    "messageDelete",
    "endOfConversation",
    "trace",
    "handoff",
    "command",
    "delay",
    "suggestion",
    "contactRelationUpdate",
    "deleteUserData",
    "unknown\nFORGED",
]


def _team(body: dict[str, Any], who: dict[str, Any] | None = None) -> dict[str, Any]:
    body["conversation"] = {"id": "team-id", "conversationType": "channel", "isGroup": True}
    body["channelData"] = {"tenant": {"id": activities.TENANT}, "team": {"id": "team-id"}}
    if who is not None:
        body["from"] = who
    return body


def seeds(url: str) -> list[dict[str, Any]]:
    """Activities Teams really sends this bot, of every kind it handles (and some it does not)."""
    out: list[dict[str, Any]] = [
        activities.message(url, "help"),
        activities.message(url, "refer"),
        activities.message(url, "status"),
        activities.message(url, "status COV-2026-001"),
        activities.message(url, "my draft"),
        activities.message(url, "What happens next?"),
        activities.message(url, "he is not breathing, call an ambulance"),
        activities.message(url, "I am worried about a child at home tonight"),
        activities.message(url, "I want to make a referral"),
        activities.channel_message(url, "help"),
        activities.channel_message(url, "the baby is not breathing"),
        activities.personal_install(url),
        activities.installation_add(url),
        activities.team_install(url),
        activities.card_submit(url, {"action": "help"}),
        activities.card_submit(url, {"action": "start_referral"}),
        activities.card_submit(url, {"action": "status"}),
        activities.card_submit(url, {"action": "referral_resume", "choice": "resume"}),
        activities.card_submit(url, {"action": "referral_cancel", "choice": "yes"}),
        activities.card_submit(url, {"action": "referral", "back": True}),
        activities.card_submit(url, {"action": "referral", "step": "review", "edit": "child"}),
    ]
    out += [
        activities.card_submit(url, {"action": "referral", "step": step, **inputs})
        for step, inputs in STEPS
    ]
    verbs = [k.value for k in DecisionKind] + ["refresh"]
    for verb in verbs:
        data = {"reference": "COV-2026-001", "on": "2026-11-23", "reason": "r"}
        out.append(_team(activities.action_execute(url, verb, data), LA_LEAD))
        out.append(_team(activities.action_execute(url, verb, data)))
    out.append(
        _team(
            activities.action_execute(
                url,
                "milestone_done",
                {
                    "reference": "COV-2026-001",
                    "reminder": {
                        "kind": "milestone",
                        "milestone": "rapid_review",
                        "due": "2026-12-10",
                    },
                },
            ),
            LA_LEAD,
        )
    )
    out.append(
        _team(
            activities.action_execute(
                url, "refresh", {"reference": "COV-2026-001"}, trigger="automatic"
            )
        )
    )
    for name in _INVOKE_NAMES:
        invoke = activities.message(url, None)
        invoke.update(type="invoke", name=name, value={"data": {"x": 1}, "commandId": "c"})
        out.append(invoke)
    for kind in _TYPES:
        other = activities.message(url, "hello")
        other["type"] = kind
        out.append(other)
    removed = activities.installation_add(url)
    removed["action"] = "remove"
    out.append(removed)
    for index, body in enumerate(out):
        body["id"] = f"seed-{index}"  # the builders' ids count across the run: not seeded
    return out


class Mutator:
    """Seeded mutations of activity bodies; `bodies(n)` yields n of them, as JSON text."""

    def __init__(self, url: str, seed: int) -> None:
        self._url = url
        self._rng = random.Random(seed)
        self._seeds = seeds(url)
        self._count = 0

    def _junk(self, depth: int = 0) -> Any:
        rng = self._rng
        pick = rng.randrange(16)
        if pick == 0:
            return None
        if pick == 1:
            return rng.choice([True, False])
        if pick == 2:
            return rng.choice([0, -1, 1, 2**63, -(2**70), 10**30])
        if pick == 3:
            return rng.choice([0.5, -1e308, 1e-320, math.nan, math.inf, -math.inf])
        if pick in (4, 5, 6):
            return rng.choice(_STRINGS)
        if pick == 7:
            return rng.choice(_STRINGS) * rng.randrange(1, 2000)
        if pick == 8:
            return "".join(chr(rng.randrange(0, 0x2FFFF)) for _ in range(rng.randrange(1, 64)))
        if pick == 9:
            return "".join(chr(rng.randrange(0, 32)) for _ in range(rng.randrange(1, 16)))
        if pick == 10 and depth < 3:
            return [self._junk(depth + 1) for _ in range(rng.randrange(0, 4))]
        if pick == 11 and depth < 3:
            return {rng.choice(_STRINGS): self._junk(depth + 1) for _ in range(rng.randrange(0, 4))}
        if pick == 12:
            nested: Any = rng.choice([1, "x", None])
            for _ in range(rng.randrange(10, 400)):
                nested = [nested] if rng.random() < 0.5 else {"a": nested}
            return nested
        if pick == 13:
            return rng.choice(_INVOKE_NAMES)
        if pick == 14:
            return rng.choice(_TYPES)
        return rng.choice([{}, [], "", 0])

    def _nodes(self, value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        yield path
        if isinstance(value, dict):
            for key, child in value.items():
                yield from self._nodes(child, (*path, key))
        elif isinstance(value, list):
            for index, child in enumerate(value):
                yield from self._nodes(child, (*path, index))

    def _mutate(self, body: dict[str, Any]) -> None:
        rng = self._rng
        paths = [p for p in self._nodes(body) if p]
        # Half the mutations go where a client's own content is (a card's data, the text, the
        # mentions): junk there reaches the turn; junk in Teams' own fields mostly stops at 400.
        inner = [p for p in paths if p[0] in _CONTENT]
        path = rng.choice(inner if inner and rng.random() < 0.5 else paths)
        parent: Any = body
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        action = rng.randrange(5)
        if action == 0 and isinstance(parent, dict):
            del parent[last]
        elif action == 1 and isinstance(parent, dict):
            parent[rng.choice([*_STRINGS, "mentioned", "entities", "recipient", "from"])] = (
                self._junk()
            )
        elif action == 2 and isinstance(parent, list):
            parent.append(self._junk())
        else:
            parent[last] = self._junk()

    def _safe_service_url(self, body: Any) -> None:
        # Junk may name any string as the service URL: only the fake connector or a closed
        # loopback port is ever let through, so no request (or DNS lookup) leaves the machine.
        if not isinstance(body, dict):
            return
        url = body.get("serviceUrl")
        if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
            try:
                host = urlsplit(url).hostname
            except ValueError:
                host = None
            if url != self._url and host not in ("127.0.0.1",):
                body["serviceUrl"] = self._url

    def body(self) -> str:
        """One mutated activity, as the JSON text to post."""
        rng = self._rng
        body = copy.deepcopy(rng.choice(self._seeds))
        self._count += 1
        if rng.random() < 0.9:
            body["id"] = f"junk-{self._count}"  # else a redelivery of an earlier id
        for _ in range(rng.randrange(1, 5)):
            self._mutate(body)
        if rng.random() < 0.05:
            body["serviceUrl"] = "http://127.0.0.1:9/"  # nothing listens: sends fail
        self._safe_service_url(body)
        return json.dumps(body)

    def bodies(self, count: int) -> Iterator[str]:
        """`count` mutated activities."""
        for _ in range(count):
            yield self.body()


def special_bodies(url: str) -> list[tuple[str, bytes]]:
    """Hand-made junk no mutation reaches: deep JSON, NaN, invalid UTF-8, a huge text."""
    deep = 50_000
    base = json.dumps(activities.message(url, "help"))[:-1]
    return [
        ("deep list", b"[" * deep + b"]" * deep),
        ("deep object", b'{"a":' * deep + b"1" + b"}" * deep),
        ("deep value", (base + ', "value": ' + "[" * deep + "]" * deep + "}").encode()),
        (
            "deep channelData",
            (base + ', "channelData": ' + '{"a":' * 5000 + "1" + "}" * 5000 + "}").encode(),
        ),
        ("NaN text", (base + ', "value": {"action": "referral", "x": NaN}}').encode()),
        ("huge text", json.dumps(activities.message(url, "help " + "x" * 200_000)).encode()),
        ("invalid utf-8", base.encode() + b', "text": "\xff\xfe"}'),
        ("duplicate keys", (base + ', "type": "invoke", "type": "message"}').encode()),
        ("empty", b""),
        ("null", b"null"),
    ]
