"""Forwarding to recipients with one aiohttp ClientSession per application (step 8's I/O).

With a tracer, each forward is a CLIENT span (a child of the ``gateway.forward`` step) following OpenTelemetry's
HTTP client conventions, and the recipient gets the span's ``traceparent`` so that its own spans join the
enterprise's trace. The span holds the method, the recipient's host, port and scheme and the status, never the
path or the query (the transfer's own path may name a person).
"""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp
from opentelemetry.trace import SpanKind, Tracer
from yarl import URL

from gateway.errors import UpstreamFailed
from gateway.metrics import known_method
from gateway.ports import UpstreamRequest, UpstreamResponse
from gateway.telemetry import error_type, inject_traceparent, mark_error
from gateway.web.bounded import read_bounded

__all__ = ["HttpUpstream", "new_session"]


def new_session(connect_timeout: float, total_timeout: float) -> aiohttp.ClientSession:
    """The application's one client session: pooled connections, connect and total timeouts, no cookies."""
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=total_timeout, sock_connect=connect_timeout),
        connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300),
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
        skip_auto_headers=("User-Agent",),
    )


class HttpUpstream:
    """:class:`gateway.ports.Upstream` over HTTP. The recipient's status passes through; failures become 502/504."""

    def __init__(self, session: aiohttp.ClientSession, max_response_bytes: int, tracer: Tracer | None = None) -> None:
        self._session = session
        self._max = max_response_bytes
        self._tracer = tracer

    async def send(self, request: UpstreamRequest) -> UpstreamResponse:
        if self._tracer is None:
            return await self._send(request, request.headers)
        method = known_method(request.method)
        url = URL(request.url)
        attributes: dict[str, str | int] = {"http.request.method": method, "url.scheme": url.scheme}
        if url.host:
            attributes["server.address"] = url.host
        if url.port is not None:
            attributes["server.port"] = url.port
        with self._tracer.start_as_current_span(
            method,  # "{method}": no URL template is known for a recipient's paths
            kind=SpanKind.CLIENT,
            attributes=attributes,
            record_exception=False,  # an exception's text may quote the URL
            set_status_on_exception=False,
        ) as span:
            headers = dict(request.headers)
            inject_traceparent(headers)
            try:
                response = await self._send(request, headers)
            except UpstreamFailed as e:
                mark_error(span, error_type(e.__cause__ or e))
                raise
            span.set_attribute("http.response.status_code", response.status)
            if response.status >= 400:
                mark_error(span, str(response.status))
            return response

    async def _send(self, request: UpstreamRequest, headers: Mapping[str, str]) -> UpstreamResponse:
        try:
            async with self._session.request(
                request.method, request.url, headers=headers, data=request.body, allow_redirects=False
            ) as response:
                too_large = UpstreamFailed("upstream-unavailable", "the recipient's answer exceeds the size limit")
                body = await read_bounded(response.content, response.content_length, self._max, too_large)
                kept = {"Content-Type": response.headers.get("Content-Type", "application/octet-stream")}
                return UpstreamResponse(response.status, kept, body)
        except TimeoutError as e:
            raise UpstreamFailed("upstream-timeout", "the recipient did not answer in time") from e
        except aiohttp.ClientError as e:
            raise UpstreamFailed("upstream-unavailable", f"cannot reach the recipient ({e.__class__.__name__})") from e
