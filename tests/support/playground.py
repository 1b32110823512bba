"""The bot and the Microsoft 365 Agents Playground side by side on loopback, and a REST driver.

Used by the `e2e` tests and by `make playground` (`python -m tests.support.playground`).
Facts about the Playground this relies on are in docs/PLAYGROUND.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
PLAYGROUND_DIR = ROOT / "deploy" / "playground"
CLI = PLAYGROUND_DIR / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"
PERSONAL = "personal-chat-id"
TEAM = "team-id"
USER = "user-id-0"
OTHER_USER = "user-id-1"
BOT_ID = "00000000-0000-0000-0000-00000000000011"
# The tenant the Playground's mock data puts in every activity (channelData.tenant.id and
# conversation.tenantId); not a valid GUID, but what it sends.
TENANT_ID = "00000000-0000-0000-0000-0000000000001"

logger = logging.getLogger(__name__)

Frame = dict[str, Any]


class PlaygroundError(RuntimeError):
    """The Playground or the bot did not start, or did not answer as expected."""


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def node_available() -> bool:
    """Whether Node.js is on this machine."""
    return shutil.which("node") is not None


def ensure_installed() -> None:
    """Install the pinned Playground from deploy/playground/package.json if it is missing."""
    if CLI.exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise PlaygroundError("npm is not installed")
    subprocess_run([npm, "ci", "--no-audit", "--no-fund"], cwd=PLAYGROUND_DIR)


def subprocess_run(command: list[str], *, cwd: Path) -> None:
    """Run a setup command, failing with its output."""
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise PlaygroundError(f"{' '.join(command)} failed: {done.stderr[-2000:]}")


def card_texts(frame: Frame) -> str:
    """Every text in a frame's message and its cards, as one string to search."""
    return json.dumps(frame.get("message", {}))


def cards_of(frame: Frame) -> list[dict[str, Any]]:
    """The Adaptive Cards in a frame's message."""
    message = frame.get("message", {})
    return [
        a["content"]
        for a in message.get("attachments", [])
        if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        and isinstance(a.get("content"), dict)
    ]


@dataclass
class Session:
    """A running bot and Playground, with the websocket stream of what the bot posts."""

    bot_url: str
    playground_url: str
    bot: asyncio.subprocess.Process
    playground: asyncio.subprocess.Process
    http: aiohttp.ClientSession
    frames: list[Frame] = field(default_factory=list)
    drainer: asyncio.Task[None] | None = None
    _reader: asyncio.Task[None] | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    # --- the stream -------------------------------------------------------------------

    async def _read(self, socket_: aiohttp.ClientWebSocketResponse) -> None:
        async for message in socket_:
            if message.type is aiohttp.WSMsgType.TEXT:
                with contextlib.suppress(ValueError):
                    frame = json.loads(message.data)
                    if isinstance(frame, dict) and "message" in frame:
                        self.frames.append(frame)
                        self._arrived.set()

    async def wait_for(
        self, predicate: Callable[[Frame], bool], *, after: int = 0, within_s: float = 20
    ) -> Frame:
        """The first frame after index `after` that matches, waiting for it to arrive."""

        async def scan() -> Frame:
            while True:
                for frame in self.frames[after:]:
                    if predicate(frame):
                        return frame
                self._arrived.clear()
                await self._arrived.wait()

        try:
            return await asyncio.wait_for(scan(), within_s)
        except TimeoutError:
            raise PlaygroundError("the expected message did not arrive") from None

    def mark(self) -> int:
        """The current end of the stream, to wait for what comes after."""
        return len(self.frames)

    # --- REST -------------------------------------------------------------------------

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """A REST call to the Playground."""
        async with self.http.request(
            method, self.playground_url + path, json=body, timeout=aiohttp.ClientTimeout(total=30)
        ) as response:
            text = await response.text()
            return response.status, (json.loads(text) if text.strip() else None)

    async def install(self, conversation_id: str) -> None:
        """Install the bot in a conversation, as a custom installationUpdate."""
        status, template = await self.call(
            "GET",
            f"/_internal/v1/customActivities/template?conversationId={conversation_id}"
            "&type=install",
        )
        if status != 200:
            raise PlaygroundError(f"install template: HTTP {status}")
        status, _ = await self.call("POST", "/_internal/v1/customActivities", template)
        if status != 200:
            raise PlaygroundError(f"install: HTTP {status}")

    async def say(self, text: str, *, conversation_id: str = PERSONAL, user: str = USER) -> None:
        """A typed message from a user."""
        status, _ = await self.call(
            "POST",
            f"/_conversation/v1/conversations/{conversation_id}/messages",
            {"from": {"id": user}, "text": text, "textFormat": "plain"},
        )
        if status != 200:
            raise PlaygroundError(f"message: HTTP {status}")

    async def submit(self, reply_to: str, value: dict[str, Any], *, user: str = USER) -> None:
        """Press an Action.Submit button on the card `reply_to`."""
        status, body = await self.call(
            "POST",
            "/_conversation/v1/submit",
            {
                "conversation": {"id": PERSONAL},
                "from": {"id": user},
                "replyToId": reply_to,
                "value": value,
            },
        )
        if status != 200:
            raise PlaygroundError(f"submit: HTTP {status} {body}")

    async def invoke(
        self, conversation_id: str, message_id: str, verb: str, data: dict[str, Any], user: str
    ) -> tuple[int, Any]:
        """Press an Action.Execute button; returns the bot's invoke response as relayed."""
        return await self.call(
            "POST",
            "/_conversation/v1/invoke",
            {
                "name": "adaptiveCard/action",
                "conversation": {"id": conversation_id},
                "from": {"id": user},
                "replyToId": message_id,
                "value": {"action": {"type": "Action.Execute", "verb": verb, "data": data}},
            },
        )

    async def bot_post(self, path: str, body: Any) -> Any:
        """A call to the bot's own test-mode routes."""
        async with self.http.post(self.bot_url + path, json=body) as response:
            if response.status != 200:
                raise PlaygroundError(f"{path}: HTTP {response.status}")
            return await response.json()

    async def stop(self) -> None:
        """Stop both processes and the stream."""
        for task in (self._reader, self.drainer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.http.close()
        for process in (self.playground, self.bot):
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 10)
                except TimeoutError:
                    process.kill()
                    await process.wait()


async def _wait_http(session: aiohttp.ClientSession, url: str, process: Any, what: str) -> None:
    # Bounded wait for a child process to come up; it fails fast if the process exits.
    for _ in range(300):
        if process.returncode is not None:
            raise PlaygroundError(f"{what} exited during start-up")
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=1)) as response:
                if response.status == 200:
                    return
        await asyncio.sleep(0.1)
    raise PlaygroundError(f"{what} did not start")


async def _listening_port(process: asyncio.subprocess.Process) -> int:
    assert process.stdout is not None
    pattern = re.compile(rb"Listening on (\d+)")
    for _ in range(200):
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        if not line:
            break
        found = pattern.search(line)
        if found:
            return int(found[1])
    raise PlaygroundError("the Playground did not say which port it listens on")


async def _drain(stream: asyncio.StreamReader | None) -> None:
    # Keep reading the child's output so its pipe never fills and blocks it.
    if stream is None:
        return
    while await stream.readline():
        pass


async def start(
    *,
    data_dir: Path,
    partnerships: Path | None = None,
    test_mode: bool = True,
    bot_port: int | None = None,
    playground_port: int | None = None,
    quiet: bool = True,
    settings: dict[str, str] | None = None,
) -> Session:
    """Start the bot (authentication off, loopback) and the Playground pointed at it;
    `settings` are further environment variables for the bot."""
    ensure_installed()
    bot_port = bot_port or free_port()
    env = {
        **os.environ,
        "REVIEW_BOT_HOST": "127.0.0.1",
        "REVIEW_BOT_PORT": str(bot_port),
        "REVIEW_BOT_DATA_DIR": str(data_dir),
        "REVIEW_BOT_TEST_MODE": "true" if test_mode else "false",
        "REVIEW_BOT_REMINDERS": "false" if test_mode else "true",
        "MicrosoftAppId": "",
        **(settings or {}),
    }
    if partnerships is not None:
        env["REVIEW_BOT_PARTNERSHIPS"] = str(partnerships)
    bot = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli",
        "serve",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL if quiet else None,
        stderr=asyncio.subprocess.DEVNULL if quiet else None,
    )
    bot_url = f"http://127.0.0.1:{bot_port}"
    http = aiohttp.ClientSession()
    try:
        await _wait_http(http, f"{bot_url}/readyz", bot, "the bot")
        playground = await asyncio.create_subprocess_exec(
            "node",
            str(CLI),
            "--dt",
            "-p",
            str(playground_port or free_port()),
            "-e",
            f"{bot_url}/api/messages",
            "-c",
            "msteams",
            "--conversation-id",
            PERSONAL,
            cwd=PLAYGROUND_DIR,
            env={
                **os.environ,
                "APPLICATION_INSIGHTS_NO_STATSBEAT": "true",
                "TEAMSAPPTESTER_BROWSER": "none",
                "NODE_OPTIONS": f"--require {PLAYGROUND_DIR / 'loopback.js'}",
            },
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        port = await _listening_port(playground)
        drainer = asyncio.create_task(_drain(playground.stdout))
        playground_url = f"http://127.0.0.1:{port}"
        await _wait_http(http, f"{playground_url}/_debug/ping", playground, "the Playground")
    except BaseException:
        await http.close()
        if bot.returncode is None:
            bot.kill()
            await bot.wait()
        raise
    session = Session(
        bot_url=bot_url,
        playground_url=playground_url,
        bot=bot,
        playground=playground,
        http=http,
    )
    socket_ = await http.ws_connect(
        f"ws://127.0.0.1:{port}/_ws_conversation/v1/conversations/stream"
    )
    session._reader = asyncio.create_task(session._read(socket_))
    session.drainer = drainer
    return session


async def _main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    data = ROOT / "data"
    port = int(os.environ.get("PLAYGROUND_PORT", "56150"))
    session = await start(
        data_dir=data, test_mode=False, bot_port=3978, playground_port=port, quiet=False
    )
    logger.info("Bot: %s/api/messages", session.bot_url)
    logger.info("Open the Agents Playground (a Teams client) at %s", session.playground_url)
    logger.info("Press Ctrl+C to stop both.")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await session.stop()


if __name__ == "__main__":
    asyncio.run(_main())
