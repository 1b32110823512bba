"""`make bench`'s side-by-side section: the product beside the stock echo bot and a raw bot.

Each bot is a process of its own on loopback, authentication off, replying to one fake Bot
Connector (another process), so every reply is a real HTTP POST. They are driven over HTTP
with the same activities: sequential turns interleaved bot by bot (so a noisy moment on the
machine hits all three alike), then 20 conversations at once, one bot at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from aiohttp import ClientError, ClientSession, TCPConnector

from bot.settings import EXAMPLE_PARTNERSHIPS
from tests.support import activities
from tests.support.referral import STEPS

STARTS = 3  # cold starts of each bot; the median is reported
HELP_TURNS = 200
WALKS = 60
CONCURRENCY = 20
HELP_TURNS_EACH = 30  # per conversation, at 20 at once
WALKS_EACH = 2  # per conversation, at 20 at once
ROUNDS = 3  # of the 20-at-once measurements, bot by bot in each round; the median is reported
NOW = "2026-11-24T10:00:00+00:00"

BOTS = ("raw", "echo", "ours")
ROOT = Path(__file__).resolve().parent.parent
FOLLOW_UPS = "filing's follow-ups, after its answer"
MIDDLE = ("area", "referrer", "child", "incident", "agencies", "criteria", "actions")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Bot:
    """One bot process and what was measured of it."""

    name: str
    command: list[str]
    env: dict[str, str]
    ready_path: str
    port: int = field(default_factory=_free_port)
    process: asyncio.subprocess.Process | None = None
    startups: list[float] = field(default_factory=list)
    timings: dict[str, list[float]] = field(default_factory=dict)
    # Process CPU seconds (all threads) spent on each kind of turn, and how many were counted.
    cpu: dict[str, float] = field(default_factory=dict)
    # Turns per second at 20 conversations at once, one figure per round.
    rounds: dict[str, list[float]] = field(default_factory=dict)
    # After each round's walks: (s from the last answer to the last case card, s walking).
    settle_s: list[tuple[float, float]] = field(default_factory=list)

    @property
    def throughput(self) -> dict[str, float]:
        """The median of the rounds, by kind."""
        return {kind: statistics.median(values) for kind, values in self.rounds.items()}

    @property
    def url(self) -> str:
        """Where the bot listens."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def startup_s(self) -> float:
        """The median time from starting the process to ready."""
        return statistics.median(self.startups)

    def record(self, kind: str, ms: float, cpu_s: float) -> None:
        """Keep one turn's wall time and the CPU its process spent on it."""
        self.timings.setdefault(kind, []).append(ms)
        self.cpu[kind] = self.cpu.get(kind, 0.0) + cpu_s

    def cpu_now(self) -> float:
        """CPU seconds the bot's process has used (Linux /proc; 0 elsewhere)."""
        if self.process is None:
            return 0.0
        try:
            with open(f"/proc/{self.process.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _wait_ready(session: ClientSession, bot: Bot, ok: Callable[[int], bool]) -> None:
    started = time.perf_counter()
    deadline = started + 60
    assert bot.process is not None
    while time.perf_counter() < deadline:
        if bot.process.returncode is not None:
            raise RuntimeError(f"{bot.name} exited during start-up")
        try:
            async with session.get(bot.url + bot.ready_path) as response:
                if ok(response.status):
                    return
        except ClientError:
            pass
        # A hand-run tool polling a child process: a short pause keeps the poll off its core.
        await asyncio.sleep(0.005)
    raise RuntimeError(f"{bot.name} did not become ready")


async def _start(session: ClientSession, bot: Bot, cwd: Path, ok: Callable[[int], bool]) -> None:
    started = time.perf_counter()
    command = bot.command + ([str(bot.port)] if bot.name != "ours" else [])
    bot.process = await asyncio.create_subprocess_exec(
        *command,
        cwd=cwd,
        env=bot.env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await _wait_ready(session, bot, ok)
    bot.startups.append(time.perf_counter() - started)


async def _stop(bot: Bot) -> None:
    if bot.process is not None and bot.process.returncode is None:
        bot.process.terminate()
        await bot.process.wait()


def _as(activity: dict[str, Any], user: int, prefix: str) -> dict[str, Any]:
    """The activity from another practitioner, in their own personal chat."""
    who = {
        "id": f"29:{prefix}-{user}",
        "name": "A Practitioner",
        "aadObjectId": f"00000000-0000-0000-{user // 10**12:04d}-{user % 10**12:012d}",
    }
    activity["from"] = who
    activity["conversation"] = activities.personal(activity["serviceUrl"], who)
    return activity


def _walk(url: str, n: int) -> list[tuple[str, dict[str, Any]]]:
    """A whole referral as (step, activity): install, start, every card, then Submit."""
    dob = (date(2015, 1, 1) + timedelta(days=n % 1500)).isoformat()
    # Each walk's child is another child, so the duplicate check finds none.
    steps = [(s, {**i, "date_of_birth": dob} if s == "child" else i) for s, i in STEPS]
    return [
        ("install", activities.personal_install(url)),
        ("start", activities.card_submit(url, {"action": "start_referral"})),
        *(
            (step, activities.card_submit(url, {"action": "referral", "step": step, **inputs}))
            for step, inputs in steps
        ),
    ]


async def _post(session: ClientSession, bot: Bot, body: dict[str, Any]) -> float:
    data = json.dumps(body)
    started = time.perf_counter()
    async with session.post(
        bot.url + "/api/messages", data=data, headers={"Content-Type": "application/json"}
    ) as response:
        await response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 201:
            raise RuntimeError(f"{bot.name}: HTTP {response.status} for a {body['type']}")
    return elapsed


def _kind(step: str) -> str | None:
    if step in MIDDLE:
        return "mid-referral submit"
    if step == "review":
        return "filing submit"
    return None


async def _timed(session: ClientSession, bot: Bot, body: dict[str, Any], kind: str | None) -> None:
    before = bot.cpu_now()
    elapsed = await _post(session, bot, body)
    if kind is not None:
        bot.record(kind, elapsed, bot.cpu_now() - before)


async def _walk_timed(session: ClientSession, bot: Bot, url: str, n: int, prefix: str) -> None:
    for step, body in _walk(url, n):
        kind = _kind(step)
        await _timed(session, bot, _as(body, n, prefix), kind)
        if kind == "filing submit" and bot.name == "ours":
            # What the filing left for after its answer (the marker, the case card), waited
            # for here so that its CPU is counted too, not spread over the turns after it.
            before, started = bot.cpu_now(), time.perf_counter()
            if await _settled(session, bot):
                elapsed = (time.perf_counter() - started) * 1000
                bot.record(FOLLOW_UPS, elapsed, bot.cpu_now() - before)


async def _latency(sessions: dict[str, ClientSession], bots: list[Bot], url: str) -> None:
    for _ in range(HELP_TURNS):
        for bot in bots:
            await _timed(sessions[bot.name], bot, activities.message(url, "help"), "help")
    for n in range(WALKS):
        for bot in bots:
            await _walk_timed(sessions[bot.name], bot, url, 10_000 + n, "walk")


async def _at_once(count: int, run: Callable[[int], Awaitable[int]]) -> float:
    started = time.perf_counter()
    turns = sum(await asyncio.gather(*(run(n) for n in range(count))))
    return turns / (time.perf_counter() - started)


async def _settled(session: ClientSession, bot: Bot) -> bool:
    """Wait for what our turns left for after their response (the others leave nothing);
    False when the bot has no such wait (a build from before follow-ups, to compare with)."""
    if bot.name != "ours":
        return False
    async with session.post(bot.url + "/_test/settled") as response:
        assert response.status in (200, 404), await response.text()
        return response.status == 200


async def _throughput(session: ClientSession, bot: Bot, url: str, round_: int) -> None:
    base = 20_000 + round_ * 1_000  # each round's practitioners are new ones

    async def first(n: int) -> int:
        # Each conversation's first turn records it; that is not what is measured.
        await _post(session, bot, _as(activities.message(url, "help"), base + n, "load"))
        return 1

    async def helps(n: int) -> int:
        for _ in range(HELP_TURNS_EACH):
            await _post(session, bot, _as(activities.message(url, "help"), base + n, "load"))
        return HELP_TURNS_EACH

    async def walks(n: int) -> int:
        turns = 0
        for w in range(WALKS_EACH):
            user = base + 100 + w * CONCURRENCY + n
            for _, body in _walk(url, user):
                await _post(session, bot, _as(body, user, "walk"))
                turns += 1
        return turns

    await _at_once(CONCURRENCY, first)
    bot.rounds.setdefault("help", []).append(await _at_once(CONCURRENCY, helps))
    started = time.perf_counter()
    bot.rounds.setdefault("walk", []).append(await _at_once(CONCURRENCY, walks))
    answered = time.perf_counter()
    # The case cards go out after the filing turns answered, 1/7 s apart in one channel.
    await _settled(session, bot)
    bot.settle_s.append((time.perf_counter() - answered, answered - started))


async def _check_filed(session: ClientSession, connector: str, expected: int) -> None:
    """The product filed every referral it walked: one case card each in the review channel."""
    async with session.get(f"{connector}_bench/cards", params={"conversation": "team-id"}) as r:
        posted = (await r.json())["count"]
    if posted < expected:
        raise RuntimeError(f"the product posted {posted} case cards for {expected} referrals")


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def _report(bots: dict[str, Bot], out: Callable[[str], None]) -> None:
    echo, raw, ours = bots["echo"], bots["raw"], bots["ours"]
    out("")
    out("side by side, one run: each bot its own process on loopback, auth off, replies POSTed")
    out("to the same fake connector (another process); sequential turns interleaved bot by bot;")
    out("CPU per turn is the bot process's own (all its threads), steadier than wall time when")
    out("the machine is busy")
    out("")
    out("| turn | p50 | p95 | CPU per turn | p50 vs echo bot |")
    out("|---|---|---|---|---|")
    help_echo = statistics.median(echo.timings["help"])
    out(f"| raw aiohttp bot, `help` | {_cell(raw, 'help', help_echo)}")
    out(f"| stock echo bot, `help` | {_cell(echo, 'help', help_echo)}")
    out(f"| our `help` | {_cell(ours, 'help', help_echo)}")
    for kind in ("mid-referral submit", "filing submit"):
        base = statistics.median(echo.timings[kind])
        out(f"| stock echo bot, the same {kind} | {_cell(echo, kind, base)}")
        out(f"| our {kind} | {_cell(ours, kind, base)}")
    if FOLLOW_UPS in ours.timings:
        values = ours.timings[FOLLOW_UPS]
        cpu_ms = ours.cpu[FOLLOW_UPS] / len(values) * 1000
        out(
            f"| our {FOLLOW_UPS} (until done) | {statistics.median(values):.1f} ms |"
            f" {_p(values, 0.95):.1f} ms | {cpu_ms:.1f} ms | |"
        )
    out("")
    out(f"| {CONCURRENCY} conversations at once | raw | echo bot | ours | ours vs echo bot |")
    out("|---|---|---|---|---|")
    for kind, label in (("help", "`help` turns/s"), ("walk", "referral walk turns/s")):
        mine, theirs = ours.throughput[kind], echo.throughput[kind]
        out(
            f"| {label} | {raw.throughput[kind]:.0f} | {theirs:.0f} | {mine:.0f} |"
            f" {mine / theirs:.2f}× |"
        )
    if ROUNDS > 1:
        out("")
        out(f"median of {ROUNDS} rounds, bot by bot in each; every round (turns/s):")
        for name, bot in bots.items():
            rounds = "; ".join(
                f"{kind} " + ", ".join(f"{v:.0f}" for v in values)
                for kind, values in bot.rounds.items()
            )
            out(f"- {name}: {rounds}")
    cards = ", ".join(
        f"{after:.2f} s (of {walking:.2f} s walking)" for after, walking in ours.settle_s
    )
    out(
        f"our {CONCURRENCY * WALKS_EACH} case cards of each round's walks, the last posted"
        f" after the last turn answered (the channel takes one post per 1/7 s): {cards}"
    )
    out("")
    out(
        f"start-up to ready (median of {STARTS} cold starts): ours {ours.startup_s:.2f} s"
        f" (to /readyz 200), echo bot {echo.startup_s:.2f} s, raw {raw.startup_s:.2f} s"
        " (to answering HTTP)"
    )


def _cell(bot: Bot, kind: str, base: float) -> str:
    values = bot.timings[kind]
    p50 = statistics.median(values)
    cpu_ms = bot.cpu.get(kind, 0.0) / len(values) * 1000
    return f"{p50:.1f} ms | {_p(values, 0.95):.1f} ms | {cpu_ms:.1f} ms | {p50 / base:.2f}× |"


async def _run(out: Callable[[str], None]) -> None:
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        product_port = _free_port()
        # Only what the bot needs: no inherited .env or environment (cwd is a fresh directory).
        product_env = {
            "REVIEW_BOT_PORT": str(product_port),
            "REVIEW_BOT_DATA_DIR": str(cwd / "data"),
            "REVIEW_BOT_PARTNERSHIPS": str(EXAMPLE_PARTNERSHIPS),
            "REVIEW_BOT_TEST_MODE": "true",
            # A reminder tick landing in a measurement would be noise, not a turn's cost.
            "REVIEW_BOT_REMINDERS": "false",
        }
        connector = Bot("connector", [python, "-m", "tests.bench_processes", "connector"], {}, "/")
        bots = {
            "raw": Bot("raw", [python, "-m", "tests.bench_processes", "raw"], {}, "/api/messages"),
            "echo": Bot("echo", [python, "-m", "tests.bench_echo"], {}, "/api/messages"),
            "ours": Bot(
                "ours",
                [python, "-m", "cli", "serve"],
                product_env,
                "/readyz",
                port=product_port,
            ),
        }
        sessions = {name: ClientSession(connector=TCPConnector(limit=0)) for name in BOTS}
        control = ClientSession()
        try:
            # The connector: its own project path, so `tests` imports from the checkout.
            connector.env = {"PYTHONPATH": str(ROOT)}
            await _start(control, connector, cwd, lambda status: status == 404)
            url = connector.url + "/"
            for name in BOTS:
                bots[name].env.setdefault("PYTHONPATH", connector.env["PYTHONPATH"])
                for n in range(STARTS):
                    if n:
                        await _stop(bots[name])
                    await _start(control, bots[name], cwd, lambda status: status in (200, 405))
            async with control.post(bots["ours"].url + "/_test/clock", json={"now": NOW}) as r:
                assert r.status == 200, await r.text()
            order = [bots[name] for name in BOTS]
            for bot in order:
                await _post(sessions[bot.name], bot, activities.team_install(url, "team-id"))
                # Warm-up: first connections, imports, caches.
                for _ in range(20):
                    await _post(sessions[bot.name], bot, activities.message(url, "help"))
                for n in range(2):
                    await _walk_timed(sessions[bot.name], bot, url, n, "warm")
                bot.timings.clear()
                bot.cpu.clear()
            await _latency(sessions, order, url)
            await _settled(control, bots["ours"])
            await _check_filed(control, url, WALKS + 2)
            # Round by round, bot by bot: a busy spell on the machine falls on every bot.
            for round_ in range(ROUNDS):
                for bot in order:
                    await _throughput(sessions[bot.name], bot, url, round_)
            await _check_filed(control, url, WALKS + 2 + ROUNDS * CONCURRENCY * WALKS_EACH)
        finally:
            for session in (*sessions.values(), control):
                await session.close()
            for bot in (*bots.values(), connector):
                await _stop(bot)
    _report(bots, out)


def side_by_side(out: Callable[[str], None]) -> None:
    """Run the three bots and print the table the README records."""
    asyncio.run(_run(out))


def main() -> None:
    """`python -m tests.bench_side [--quick]`: the side-by-side section alone."""
    global HELP_TURNS, WALKS, STARTS, ROUNDS
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer turns (50 help, 15 referrals, one cold start, one round at 20 at once):"
        " to compare while iterating; the figures to report come from a full run",
    )
    if parser.parse_args().quick:
        HELP_TURNS, WALKS, STARTS, ROUNDS = 50, 15, 1, 1

    def out(line: str) -> None:
        sys.stdout.write(line + "\n")

    side_by_side(out)


if __name__ == "__main__":
    main()
