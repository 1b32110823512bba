"""The composition root: `create_app` wires settings, store, clock, adapter, bot and notifier."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from botbuilder.core import BotAdapter, ConversationState, InvokeResponse, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes
from botframework.connector.auth import (
    BotFrameworkAuthentication,
    ServiceClientCredentialsFactory,
)
from msrest.exceptions import (  # type: ignore[attr-defined]
    ClientRequestError,
    DeserializationError,
    HttpOperationError,
)
from pydantic import ValidationError

from bot.clock import ShiftedClock, SystemClock
from bot.connectors import CachedConnectors, cached_authentication
from bot.conversations import ConversationRegistry
from bot.followups import FollowUps
from bot.graph import GraphGroups, managed_identity_token_provider, msal_token_provider
from bot.handler import ReviewBot, message_invoke_body
from bot.http import error_middleware, messages_handler
from bot.identity import ManagedIdentityTokens, database_password
from bot.keys import keyring_for
from bot.middleware import DeduplicationMiddleware, SafetyTriageMiddleware
from bot.notifier import Notifier
from bot.report_charts import add_chart_route, chart_base_url
from bot.roster import RosterDirectory
from bot.settings import Settings
from bot.telemetry import Telemetry
from bot.tenants import TenantPolicy
from cards import wording
from cards.welcome import welcome_card
from dialogs.referral import ReferralDialog, ReferralServices
from dialogs.turns import send, signposted, status_responder, turn_triage, typed_text
from safeguarding.calendar import PartnershipCalendars, load_bank_holiday_events
from safeguarding.clocks import Clock
from safeguarding.faq import NATIONAL_FAQ_FILE, FaqEntry, load_faq_file
from safeguarding.partnerships import Partnerships, load_partnerships
from safeguarding.triage import Triage
from safeguarding.triage_model import load_model
from scheduler.monthly import MonthlyReports
from scheduler.runner import ReminderRunner
from scheduler.trigger import schedule_retention, start_scheduler
from storage.base import ConflictError, Store, StoreError
from storage.botstate import StoreStorage
from storage.cases import CaseRepository, DraftRepository
from storage.deliveries import DeliveryLog
from storage.encrypted import EncryptedStore
from storage.leases import Leases
from storage.postgres_store import PostgresStore, describe_url
from storage.reports import ChartStore
from storage.retention import RetentionRecords
from storage.seen import SeenActivities
from storage.stats import RedirectCounter
from storage.tinydb_store import TinyDBStore
from usecases.answers import Answers
from usecases.decisions import CaseCards, DecisionDesk
from usecases.delivery import CaseAnnouncements, OnceSender
from usecases.errors import UseCaseError
from usecases.leads import LeadDirectory
from usecases.logs import quoted
from usecases.ports import CaseAnnouncer
from usecases.referrals import ReferralFiling
from usecases.retention import Retention, RetentionJob
from usecases.safety import RULES_ONLY, SafetyDesk, Screen, storeless_signpost

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AdapterConfig:
    """The attribute names the SDK's ConfigurationBotFrameworkAuthentication reads."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str


BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"


@dataclass(frozen=True)
class PinnedKeysConfig(AdapterConfig):
    """Adapter settings that verify tokens against another OpenID metadata document."""

    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: str
    TO_BOT_FROM_CHANNEL_TOKEN_ISSUER: str


@dataclass
class Services:
    """What a running app holds; built when the app starts, closed when it stops."""

    settings: Settings
    partnerships: Partnerships
    store: Store
    clock: Clock
    adapter: CloudAdapter
    conversations: ConversationRegistry
    notifier: Notifier
    case_cards: CaseCards
    reminders: ReminderRunner
    bot: ReviewBot
    filing: ReferralFiling
    # What turns left for after their response (tests await `follow_ups.settled()`).
    follow_ups: FollowUps
    retention: RetentionJob | None = None


SETTINGS = web.AppKey("settings", Settings)
PARTNERSHIPS = web.AppKey("partnerships", Partnerships)
SERVICES = web.AppKey("services", Services)
SCHEDULER = web.AppKey("scheduler", AsyncIOScheduler)
# Start-up's finishing of interrupted filings, run beside start-up (tests may await it).
STARTUP_RECOVERY = web.AppKey("startup_recovery", asyncio.Task[None])
# Set only with APPLICATIONINSIGHTS_CONNECTION_STRING (bot.telemetry).
TELEMETRY = web.AppKey("telemetry", Telemetry)


def adapter_config(settings: Settings) -> AdapterConfig:
    """What the SDK's ConfigurationBotFrameworkAuthentication reads, from our settings."""
    config = AdapterConfig(
        APP_ID=settings.app_id,
        APP_PASSWORD=settings.app_password,
        # The SDK only accepts an empty app id (authentication off) under MultiTenant.
        APP_TYPE=settings.app_type if settings.app_id else "MultiTenant",
        APP_TENANTID=settings.app_tenant_id,
    )
    if settings.openid_metadata_url:
        config = PinnedKeysConfig(
            **vars(config),
            TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=settings.openid_metadata_url,
            TO_BOT_FROM_CHANNEL_TOKEN_ISSUER=BOT_FRAMEWORK_ISSUER,
        )
    return config


def build_authentication(
    settings: Settings, *, credentials: ServiceClientCredentialsFactory | None = None
) -> BotFrameworkAuthentication:
    """Bot Framework authentication from settings (empty app id: auth off, loopback only)."""
    # Connector clients and credentials are kept between turns (bot.connectors); `credentials`
    # replaces the factory the settings would give (tests issue tokens offline with it).
    return cached_authentication(adapter_config(settings), credentials=credentials)


async def open_store(settings: Settings) -> EncryptedStore:
    """The store the settings choose (PostgreSQL when a database URL is set, else embedded),
    encrypted with the settings' data keys; KeyringError when they do not open it."""
    backend: Store
    if settings.database_url:
        backend = await PostgresStore.open(
            settings.database_url,
            min_size=settings.database_pool_min,
            max_size=settings.database_pool_max,
            password=database_password(settings),
        )
    else:
        backend = await TinyDBStore.open(settings.data_dir)
    try:
        if settings.data_keys is None and not settings.key_file_path.exists():
            # The development key file is missing. Check the store, read-only, before making
            # one: a store sealed with another key is refused ("put it back") while the place
            # to put it back is still free, never after a new file has taken it.
            absent = await asyncio.to_thread(keyring_for, settings, create=False)
            await EncryptedStore.open(backend, absent, read_only=True)
        keyring = await asyncio.to_thread(keyring_for, settings)  # may make the development key
        return await EncryptedStore.open(backend, keyring)
    except BaseException:
        await backend.close()
        raise


def store_description(settings: Settings) -> str:
    """Which store the settings choose and where, for logs and check-config (no password)."""
    if settings.database_url:
        return f"PostgreSQL, {describe_url(settings.database_url)}"
    return f"embedded, in {settings.data_dir}"


def _services(app: web.Application) -> Services:
    return app[SERVICES]


def turn_error_handler(
    partnerships: Partnerships, calendars: PartnershipCalendars, clock: Clock
) -> Callable[[TurnContext, Exception], Awaitable[None]]:
    """The adapter's last resort: log by id, signpost a child at risk, then apologise.

    It never raises for a user's turn (a raise would be an HTTP 500 and, before this, lost the
    999): each step is tried on its own, and what it cannot do is logged without the content.
    """

    async def on_turn_error(context: TurnContext, error: Exception) -> None:
        activity = context.activity
        if activity.type == "event" and activity.name == "ContinueConversation":
            # A proactive send: there is no user turn to apologise in; the caller gets it.
            logger.error(
                "proactive send failed in %s",
                quoted(activity.conversation.id if activity.conversation else "?"),
                exc_info=_safe_exc_info(error),
            )
            raise error
        try:
            await _answer_failed_turn(context, error, partnerships, calendars, clock)
        except Exception as last:  # noqa: BLE001 - the last resort itself must not fail
            logger.error(
                "turn failed: activity %s, and so did its failure notice (%s)",
                quoted(activity.id),
                type(last).__name__,
            )

    return on_turn_error


# The connector could not be reached, refused, or answered with something that is not JSON (a
# proxy's error page, say).
_CONNECTOR_ERRORS = (ClientRequestError, HttpOperationError, DeserializationError)


async def _answer_failed_turn(
    context: TurnContext,
    error: Exception,
    partnerships: Partnerships,
    calendars: PartnershipCalendars,
    clock: Clock,
) -> None:
    activity = context.activity
    try:
        # Whatever broke, a typed emergency or worry still gets 999 and the front door
        # (once: not again when the turn failed after sending it).
        if not signposted(context):
            await send(
                context,
                storeless_signpost(
                    _triage_or_rules(context), partnerships.partnerships.values(), calendars, clock
                ),
            )
    except _CONNECTOR_ERRORS:
        # The connector itself failed: there is no way to tell the user; the log has it.
        logger.warning("could not send the signpost for activity %s", quoted(activity.id))
        return
    conflict = isinstance(error, ConflictError)
    if conflict:
        logger.warning(
            "turn conflict on activity %s: %s",
            quoted(activity.id),
            getattr(error, "collection", "?"),
        )
    elif isinstance(error, _CONNECTOR_ERRORS):
        # The service URL did not answer: a fault of the far end, not of this code.
        logger.warning(
            "turn failed: activity %s type %s, the connector did not answer (%s)",
            quoted(activity.id),
            quoted(activity.type),
            type(error).__name__,
        )
    else:
        logger.error(
            "turn failed: activity %s type %s",
            quoted(activity.id),
            quoted(activity.type),
            exc_info=_safe_exc_info(error),
        )
    notice = wording.TURN_CONFLICT if conflict else wording.TURN_FAILED
    try:
        if activity.type == ActivityTypes.invoke:
            await _answer_failed_invoke(context, notice)
        else:
            await context.send_activity(notice)
    except _CONNECTOR_ERRORS:
        logger.warning("could not send the failure notice for activity %s", quoted(activity.id))


async def _answer_failed_invoke(context: TurnContext, notice: str) -> None:
    # The adapter answers an invoke left without a response with HTTP 501. Said in place of the
    # card for Action.Execute (Universal Actions' message response); any other invoke gets a
    # bare 200, as the bot answers invokes it does not handle.
    if context.turn_state.get(BotAdapter._INVOKE_RESPONSE_KEY) is not None:
        return  # answered before it failed (saving state, say): that answer stands
    body = message_invoke_body(notice) if context.activity.name == "adaptiveCard/action" else None
    await context.send_activity(
        Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=200, body=body))
    )


def _triage_or_rules(context: TurnContext) -> Triage | None:
    # The turn's triage, or, if working it out is what failed, the rules alone: the error
    # handler must never lose the signpost to the same fault twice.
    try:
        return turn_triage(context)
    except Exception:  # noqa: BLE001 - the last resort; the failure is logged with the turn
        return RULES_ONLY.assess(typed_text(context))


def _safe_exc_info(error: Exception) -> Any:
    # A pydantic error's text quotes the input, which may be a child's details: log where it
    # failed, never what was in it.
    if isinstance(error, ValidationError):
        places = "; ".join(".".join(str(p) for p in e["loc"]) for e in error.errors())
        logger.error("invalid data at: %s", places or "(top level)")
        return False
    return (type(error), error, error.__traceback__)


def tenant_policy(settings: Settings) -> TenantPolicy:
    """The tenants served, from settings; serving every tenant is said at start-up."""
    served = settings.served_tenants
    if served is None:
        # Settings allow this only on a loopback address (see Settings._safe).
        logger.warning(
            "every tenant is served: set REVIEW_BOT_ALLOWED_TENANTS (or MicrosoftAppTenantId)"
            " before the bot is reachable from Teams"
        )
    else:
        logger.info("tenants served: %d (%s)", len(served), ", ".join(sorted(served)))
    return TenantPolicy(served)


def graph_groups(
    settings: Settings, partnerships: Partnerships, clock: Clock
) -> GraphGroups | None:
    """Graph membership checks, when a partnership names a leads group and credentials exist."""
    if not any(p.leads_group_id for p in partnerships.partnerships.values()):
        return None
    if settings.app_id and settings.app_password and settings.app_tenant_id:
        token = msal_token_provider(
            app_id=settings.app_id, secret=settings.app_password, tenant_id=settings.app_tenant_id
        )
    elif settings.managed_identity_client_id:
        # No secret: the identity's own token (granted User.Read.All and GroupMember.Read.All).
        token = managed_identity_token_provider(
            ManagedIdentityTokens(settings.managed_identity_client_id)
        )
    else:
        # Without credentials every group check fails closed (LeadDirectory raises).
        return None
    return GraphGroups(token=token, clock=clock, base_url=settings.graph_url)


def start_telemetry(settings: Settings) -> Telemetry | None:
    """Application Insights export when its connection string is set; otherwise nothing."""
    if not settings.appinsights_connection_string:
        return None
    return Telemetry(
        settings.appinsights_connection_string,
        instance=replica_id(),
        log_level=settings.log_level,
    )


def calendars_for(settings: Settings) -> PartnershipCalendars:
    """The working-day calendars: England and Wales plus the settings' extra bank holidays."""
    extra = load_bank_holiday_events(settings.bank_holidays) if settings.bank_holidays else ()
    return PartnershipCalendars(extra)


def load_faqs(partnerships: Partnerships, base: Path) -> dict[str, tuple[FaqEntry, ...]]:
    """Each partnership's own FAQ entries (paths relative to the partnerships file)."""
    return {
        p.id: load_faq_file(base / p.faq_file)
        for p in partnerships.partnerships.values()
        if p.faq_file
    }


@dataclass(frozen=True)
class Repositories:
    """Every repository over the one store, built once per app."""

    cases: CaseRepository
    drafts: DraftRepository
    redirects: RedirectCounter
    deliveries: DeliveryLog
    seen: SeenActivities

    @classmethod
    def over(cls, store: Store, settings: Settings) -> Repositories:
        """The repositories of a store, with the settings' draft lifetime."""
        return cls(
            cases=CaseRepository(store),
            drafts=DraftRepository(store, ttl=timedelta(days=settings.draft_ttl_days)),
            redirects=RedirectCounter(store),
            deliveries=DeliveryLog(store),
            seen=SeenActivities(store),
        )


def build_filing(
    *,
    partnerships: Partnerships,
    repositories: Repositories,
    announcer: CaseAnnouncer,
    calendars: PartnershipCalendars,
    clock: Clock,
    owner: str,
) -> ReferralFiling:
    """The filing use case; its case cards are claimed in the delivery log like the tick's."""
    sender = OnceSender(log=repositories.deliveries, clock=clock, owner=owner)
    return ReferralFiling(
        partnerships=partnerships,
        drafts=repositories.drafts,
        cases=repositories.cases,
        announcements=CaseAnnouncements(
            announcer=announcer, cases=repositories.cases, sender=sender, clock=clock
        ),
        calendars=calendars,
        clock=clock,
    )


def build_retention(
    partnerships: Partnerships, repositories: Repositories, store: Store
) -> Retention:
    """The retention use case over a store (the daily job's and the CLI's)."""
    return Retention(
        partnerships=partnerships,
        cases=repositories.cases,
        drafts=repositories.drafts,
        records=RetentionRecords(store),
    )


def replica_id() -> str:
    """Who this process is, in claims and leases: unique even for two apps in one process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def compose_bot(
    *,
    settings: Settings,
    partnerships: Partnerships,
    store: Store,
    clock: Clock,
    calendars: PartnershipCalendars,
    announcer: CaseAnnouncer,
    conversations: ConversationRegistry,
    faqs: Mapping[str, tuple[FaqEntry, ...]] | None = None,
    national_faq: tuple[FaqEntry, ...] | None = None,
    decisions: DecisionDesk | None = None,
    leads: LeadDirectory | None = None,
    repositories: Repositories | None = None,
    screen: Screen | None = None,
    filing: ReferralFiling | None = None,
    follow_ups: FollowUps | None = None,
) -> ReviewBot:
    """The activity handler with its dialogs and use cases (also used by dialog tests)."""
    repos = repositories or Repositories.over(store, settings)
    screen = screen or Screen(load_model())
    safety = SafetyDesk(
        screen=screen,
        partnerships=partnerships,
        calendars=calendars,
        drafts=repos.drafts,
        redirects=repos.redirects,
        clock=clock,
    )
    filing = filing or build_filing(
        partnerships=partnerships,
        repositories=repos,
        announcer=announcer,
        calendars=calendars,
        clock=clock,
        owner="bot",
    )
    answers = Answers(
        partnerships=partnerships,
        faqs=faqs or {},
        national=national_faq or load_faq_file(NATIONAL_FAQ_FILE),
        cases=repos.cases,
        drafts=repos.drafts,
        redirects=repos.redirects,
        clock=clock,
        leads=leads or LeadDirectory(groups=None),
    )
    referral = ReferralDialog(
        ReferralServices(
            partnerships=partnerships,
            drafts=repos.drafts,
            cases=repos.cases,
            filing=filing,
            clock=clock,
            calendars=calendars,
            safety=safety,
        ),
        help_card=lambda: welcome_card(list(partnerships.partnerships.values())),
        status=status_responder(answers),
    )
    return ReviewBot(
        partnerships=partnerships,
        conversations=conversations,
        conversation_state=ConversationState(StoreStorage(store)),
        referral=referral,
        safety=safety,
        screen=screen,
        answers=answers,
        decisions=decisions,
        follow_ups=follow_ups,
    )


def _add_test_routes(app: web.Application) -> None:
    """Routes that exist only in test mode (loopback, no authentication): move time, tick,
    wait for follow-ups."""

    async def set_clock(request: web.Request) -> web.Response:
        services = request.app[SERVICES]
        if not isinstance(services.clock, ShiftedClock):
            raise web.HTTPConflict(text="the clock cannot be moved")
        body = await request.json()
        try:
            moment = datetime.fromisoformat(body["now"])
        except (KeyError, TypeError, ValueError):
            raise web.HTTPBadRequest(text='give {"now": "<ISO datetime with offset>"}') from None
        if moment.tzinfo is None:
            raise web.HTTPBadRequest(text="the moment needs a UTC offset")
        services.clock.set(moment)
        return web.json_response({"now": services.clock.now().isoformat()})

    async def tick(request: web.Request) -> web.Response:
        report = await request.app[SERVICES].reminders.tick()
        return web.json_response(
            {
                "planned": report.planned,
                "sent": report.sent,
                "failed": report.failed,
                "held_elsewhere": report.held_elsewhere,
                "filed": report.filed,
            }
        )

    async def settled(request: web.Request) -> web.Response:
        # Answers once every turn's follow-up work (a filing's marker and case card) is done.
        await request.app[SERVICES].follow_ups.settled()
        return web.json_response({"outstanding": request.app[SERVICES].follow_ups.outstanding})

    app.router.add_post("/_test/clock", set_clock)
    app.router.add_post("/_test/tick", tick)
    app.router.add_post("/_test/settled", settled)


async def _finish_filings_at_start(runner: ReminderRunner) -> None:
    try:
        report = await runner.finish_filings()
    except (StoreError, UseCaseError) as exc:
        # The next tick tries again; start-up must not fail for it.
        logger.warning("interrupted filings not finished at start-up: %s", exc)
        return
    if report.filed:
        logger.info("start-up: %d interrupted filing(s) finished", len(report.filed))


async def _index_cases(cases: CaseRepository) -> None:
    try:
        await cases.build_child_index()
    except StoreError:
        logger.exception("cases not indexed yet: the next duplicate check tries again")


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    connector: BotFrameworkAuthentication | None = None,
    credentials: ServiceClientCredentialsFactory | None = None,
    graph: GraphGroups | None = None,
    screen: Screen | None = None,
) -> web.Application:
    """Build the aiohttp application; the store opens on startup and closes on cleanup."""
    partnerships = load_partnerships(settings.partnerships)
    telemetry = start_telemetry(settings)
    # The telemetry span is outermost, so it sees the status our error middleware gives.
    middlewares = [error_middleware]
    if telemetry is not None:
        middlewares.insert(0, telemetry.middleware)
    app = web.Application(middlewares=middlewares, client_max_size=settings.max_body_bytes)
    if telemetry is not None:
        app[TELEMETRY] = telemetry
        app.on_cleanup.append(lambda _: telemetry.close())
    app[SETTINGS] = settings
    app[PARTNERSHIPS] = partnerships
    authentication = connector or build_authentication(settings, credentials=credentials)
    calendars = calendars_for(settings)
    faqs = load_faqs(partnerships, settings.partnerships.parent)
    national_faq = load_faq_file(NATIONAL_FAQ_FILE)
    screen = screen or Screen(load_model())

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        owned = store is None
        # Opened off the event loop: reading and checking every file of a large embedded store
        # takes seconds. A damaged or locked store raises here, so the app never serves on it.
        active_store: Store = store if store is not None else await open_store(settings)
        replica = replica_id()
        active_clock: Clock = clock or (
            ShiftedClock(SystemClock()) if settings.test_mode else SystemClock()
        )
        repos = Repositories.over(active_store, settings)
        adapter = CloudAdapter(authentication)
        adapter.use(SafetyTriageMiddleware(screen))
        # A store only one process may open (the embedded store's lock) has no other replica
        # to share deliveries with: the in-memory record is enough, and a turn writes nothing.
        single_process = getattr(active_store, "single_process", False)
        adapter.use(DeduplicationMiddleware(None if single_process else repos.seen, active_clock))
        conversations = ConversationRegistry(active_store, clock=active_clock)
        adapter.on_turn_error = turn_error_handler(partnerships, calendars, active_clock)
        notifier = Notifier(
            adapter=adapter, conversations=conversations, bot_app_id=settings.app_id
        )
        # Cases stored before the child index are indexed now, not at the first review card.
        indexing = asyncio.create_task(_index_cases(repos.cases))
        lead_directory = LeadDirectory(
            groups=graph or graph_groups(settings, partnerships, active_clock)
        )
        case_cards = CaseCards(
            notifier=notifier,
            users=RosterDirectory(
                adapter=adapter, conversations=conversations, bot_app_id=settings.app_id
            ),
            calendars=calendars,
            clock=active_clock,
            partnerships=partnerships,
        )
        filing = build_filing(
            partnerships=partnerships,
            repositories=repos,
            announcer=case_cards,
            calendars=calendars,
            clock=active_clock,
            owner=replica,
        )
        follow_ups = FollowUps()
        bot = compose_bot(
            settings=settings,
            partnerships=partnerships,
            store=active_store,
            clock=active_clock,
            calendars=calendars,
            announcer=case_cards,
            filing=filing,
            conversations=conversations,
            faqs=faqs,
            national_faq=national_faq,
            screen=screen,
            leads=lead_directory,
            repositories=repos,
            follow_ups=follow_ups,
            decisions=DecisionDesk(
                partnerships=partnerships,
                cases=repos.cases,
                leads=lead_directory,
                cards=case_cards,
                notifier=notifier,
                clock=active_clock,
            ),
        )
        monthly = MonthlyReports(
            partnerships=partnerships,
            calendars=calendars,
            cases=repos.cases,
            log=repos.deliveries,
            charts=ChartStore(active_store),
            notifier=notifier,
            clock=active_clock,
            chart_base_url=chart_base_url(settings),
        )
        runner = ReminderRunner(
            partnerships=partnerships,
            calendars=calendars,
            cases=repos.cases,
            log=repos.deliveries,
            notifier=notifier,
            clock=active_clock,
            owner=replica,
            announcer=case_cards,
            sweeps=(repos.drafts, repos.seen),
            refresh_ids=case_cards.refresh_ids,
            leases=Leases(active_store, holder=replica),
            filing=filing,
            jobs=(monthly,),
        )
        retention = RetentionJob(
            retention=build_retention(partnerships, repos, active_store),
            records=RetentionRecords(active_store),
            leases=Leases(active_store, holder=replica),
            clock=active_clock,
            cases=repos.cases,
            partnerships=partnerships,
            cards=case_cards,
            notifier=notifier,
        )
        app[SERVICES] = Services(
            settings=settings,
            partnerships=partnerships,
            store=active_store,
            clock=active_clock,
            adapter=adapter,
            conversations=conversations,
            notifier=notifier,
            case_cards=case_cards,
            reminders=runner,
            bot=bot,
            filing=filing,
            follow_ups=follow_ups,
            retention=retention,
        )
        scheduler = (
            start_scheduler(runner, interval_s=settings.reminder_interval_s)
            if settings.reminders_enabled
            else None
        )
        if scheduler is not None:
            schedule_retention(scheduler, retention.scheduled, now=active_clock.now())
            app[SCHEDULER] = scheduler
        # Filings a crash interrupted are finished (and their referrers told) at start-up, off
        # the start-up path: sending may wait on the connector.
        recovery = asyncio.create_task(_finish_filings_at_start(runner))
        app[STARTUP_RECOVERY] = recovery
        logger.info(
            "bot ready: %d partnerships, reminders %s",
            len(partnerships.partnerships),
            "on" if scheduler else "off",
        )
        yield
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        await follow_ups.settled()
        await recovery
        indexing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await indexing
        await runner.drain()
        await retention.drain()
        if isinstance(authentication, CachedConnectors):
            await authentication.close()
        if owned:
            await active_store.close()

    app.cleanup_ctx.append(lifecycle)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        services = request.app.get(SERVICES)
        checks: dict[str, Any] = {
            "partnerships": len(request.app[PARTNERSHIPS].partnerships),
            "store": services is not None and await services.store.is_ready(),
        }
        ready = bool(checks["partnerships"]) and checks["store"] is True
        return web.json_response(
            {"status": "ready" if ready else "not ready", **checks}, status=200 if ready else 503
        )

    if settings.test_mode:
        _add_test_routes(app)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    add_chart_route(app, lambda request: _services(request.app).store)

    async def probe(request: web.Request) -> web.Response:
        # Clients (the Agents Playground among them) probe the endpoint with HEAD.
        return web.Response(status=200)

    app.router.add_route("HEAD", "/api/messages", probe)
    app.router.add_post(
        "/api/messages",
        messages_handler(
            lambda request: _services(request.app).adapter,
            lambda request: _services(request.app).bot,
            tenant_policy(settings),
            token_required=settings.authentication_enabled,
            body_timeout_s=settings.body_timeout_s,
        ),
    )
    return app
