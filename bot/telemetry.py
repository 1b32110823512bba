"""Telemetry to Application Insights through OpenTelemetry: ids only, never names or text.

Only when `APPLICATIONINSIGHTS_CONNECTION_STRING` is set: then every HTTP request is a server
span (the route pattern, method, status and our request id: never the body, the query or a
path that matched no route), its duration goes into a histogram, and every log record at the
configured level goes out as a log with the trace it belongs to. Log records carry ids only
already (see `usecases/logs.py`); here each is sent as its formatted message and, for an
exception, its type alone, never its text or traceback (an error's text may quote input).

Nothing waits on Application Insights: spans, logs and metrics are queued in memory and sent
by the SDK's background threads; a full queue drops, a slow or unreachable endpoint only delays
those threads. Unset, this module is never imported and no middleware is added.

`azure-monitor-opentelemetry-exporter` and `opentelemetry-sdk` are the `azure` extra
(`pip install '.[azure]'`, in the container image); the exporter's own reports to Microsoft
(statsbeat, SDK stats, remote settings) are turned off first, and failed batches are not kept on
disk for a retry.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from time import perf_counter
from typing import Any

from aiohttp import web

from bot.http import REQUEST_ID
from bot.settings import quiet_azure_monitor

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SERVICE_NAME = "review-bot"
# How long stopping waits for the last batches before it lets the process go.
SHUTDOWN_WAIT_S = 5.0
# The exporter's own network timeout, in its background threads.
EXPORT_TIMEOUT_S = 5.0
METRIC_INTERVAL_MS = 60_000
# Loggers whose records are never sent: the exporter's own and its HTTP stack (a loop
# otherwise), and the SDK's.
_NOT_EXPORTED = ("azure", "opentelemetry", "urllib3", "requests", "msal")
# OpenTelemetry's severity numbers for Python's levels, highest first.
_SEVERITY = ((logging.CRITICAL, 21), (logging.ERROR, 17), (logging.WARNING, 13), (logging.INFO, 9))


class TelemetryUnavailableError(RuntimeError):
    """A connection string is set but the `azure` extra is not installed."""


def severity(level: int) -> int:
    """OpenTelemetry's severity number for a Python logging level."""
    return next((number for threshold, number in _SEVERITY if level >= threshold), 5)


class _ExportHandler(logging.Handler):
    """Sends each log record to the OpenTelemetry logs pipeline: message and ids only."""

    def __init__(self, otel_logger: Any, level: int) -> None:
        from opentelemetry._logs import SeverityNumber

        super().__init__(level=level)
        self._otel = otel_logger
        self._severity = SeverityNumber
        self.addFilter(lambda record: not record.name.startswith(_NOT_EXPORTED))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            attributes: dict[str, str] = {"logger.name": record.name}
            if record.exc_info and record.exc_info[0] is not None:
                attributes["exception.type"] = record.exc_info[0].__name__
            self._otel.emit(
                timestamp=int(record.created * 1e9),
                severity_number=self._severity(severity(record.levelno)),
                severity_text=record.levelname,
                body=record.getMessage(),
                attributes=attributes,
            )
        except Exception:  # noqa: BLE001 - logging must never raise into the caller
            self.handleError(record)


class Telemetry:
    """The app's tracer, request histogram and log export; `close()` flushes and stops them."""

    def __init__(self, connection_string: str, *, instance: str, log_level: str) -> None:
        quiet_azure_monitor()
        # azure-core logs every export's request and headers at INFO.
        logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(
            logging.WARNING
        )
        try:
            from azure.monitor.opentelemetry.exporter import (
                AzureMonitorLogExporter,
                AzureMonitorMetricExporter,
                AzureMonitorTraceExporter,
            )
            from opentelemetry.sdk._logs import LoggerProvider
            from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
            from opentelemetry.sdk.metrics import MeterProvider
            from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
            from opentelemetry.trace import SpanKind, Status, StatusCode
        except ImportError as exc:
            raise TelemetryUnavailableError(
                "APPLICATIONINSIGHTS_CONNECTION_STRING is set, but the telemetry packages are"
                " not installed: pip install '.[azure]'"
            ) from exc
        options: dict[str, Any] = {
            "connection_string": connection_string,
            "disable_offline_storage": True,
            "timeout": EXPORT_TIMEOUT_S,
        }
        resource = Resource.create({"service.name": SERVICE_NAME, "service.instance.id": instance})
        # Providers of our own, not the process-wide ones: two apps in one process (tests)
        # never share a pipeline, and nothing is left to an exit hook.
        self._tracers = TracerProvider(resource=resource, shutdown_on_exit=False)
        self._tracers.add_span_processor(
            BatchSpanProcessor(AzureMonitorTraceExporter(tracer_provider=self._tracers, **options))
        )
        self._meters = MeterProvider(
            resource=resource,
            metric_readers=[
                PeriodicExportingMetricReader(
                    AzureMonitorMetricExporter(**options),
                    export_interval_millis=METRIC_INTERVAL_MS,
                )
            ],
            shutdown_on_exit=False,
        )
        self._logs = LoggerProvider(resource=resource, shutdown_on_exit=False)
        self._logs.add_log_record_processor(
            BatchLogRecordProcessor(AzureMonitorLogExporter(**options))
        )
        self._tracer = self._tracers.get_tracer(SERVICE_NAME)
        self._duration = self._meters.get_meter(SERVICE_NAME).create_histogram(
            "http.server.request.duration", unit="s", description="Duration of HTTP requests"
        )
        self._handler = _ExportHandler(
            self._logs.get_logger(SERVICE_NAME), logging.getLevelName(log_level)
        )
        logging.getLogger().addHandler(self._handler)
        self._server_kind = SpanKind.SERVER
        self._error = Status(StatusCode.ERROR)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """One server span and one duration per request: route, method, status, request id."""
        route = _route(request)
        started = perf_counter()
        status = 500
        with self._tracer.start_as_current_span(
            f"{request.method} {route}", kind=self._server_kind
        ) as span:
            try:
                response = await handler(request)
                status = response.status
                return response
            except web.HTTPException as exc:
                status = exc.status
                raise
            finally:
                attributes: dict[str, str | int] = {
                    "http.request.method": request.method,
                    "http.route": route,
                    "http.response.status_code": status,
                }
                span.set_attributes(attributes)
                request_id = request.get(REQUEST_ID)
                if request_id:
                    span.set_attribute("review_bot.request_id", request_id)
                if status >= 500:
                    span.set_status(self._error)
                self._duration.record(perf_counter() - started, attributes)

    def flush(self, timeout_ms: int = 10_000) -> None:
        """Send everything queued now (blocking; tests and shutdown)."""
        self._tracers.force_flush(timeout_ms)
        self._logs.force_flush(timeout_ms)
        self._meters.force_flush(timeout_ms)

    async def close(self) -> None:
        """Stop exporting: the last batches get a few seconds, then the process goes on."""
        logging.getLogger().removeHandler(self._handler)

        def shutdown() -> None:
            self._tracers.shutdown()
            self._logs.shutdown()
            self._meters.shutdown()

        # A daemon thread: an endpoint that never answers cannot hold the process at exit.
        worker = threading.Thread(target=shutdown, name="telemetry-shutdown", daemon=True)
        worker.start()
        await asyncio.to_thread(worker.join, SHUTDOWN_WAIT_S)
        if worker.is_alive():
            logger.warning("telemetry: last batches not sent within %.0f s", SHUTDOWN_WAIT_S)


def _route(request: web.Request) -> str:
    # The route's pattern, never the path itself: a path that matched nothing may hold anything.
    resource = request.match_info.route.resource
    if resource is None or getattr(request.match_info, "http_exception", None) is not None:
        return "(unmatched)"
    return resource.canonical
