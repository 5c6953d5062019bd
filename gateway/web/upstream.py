"""Forwarding to recipients with one aiohttp ClientSession per application (step 8's I/O)."""

from __future__ import annotations

import aiohttp

from gateway.errors import UpstreamFailed
from gateway.ports import UpstreamRequest, UpstreamResponse
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

    def __init__(self, session: aiohttp.ClientSession, max_response_bytes: int) -> None:
        self._session = session
        self._max = max_response_bytes

    async def send(self, request: UpstreamRequest) -> UpstreamResponse:
        try:
            async with self._session.request(
                request.method, request.url, headers=request.headers, data=request.body, allow_redirects=False
            ) as response:
                too_large = UpstreamFailed("upstream-unavailable", "the recipient's answer exceeds the size limit")
                body = await read_bounded(response.content, response.content_length, self._max, too_large)
                headers = {"Content-Type": response.headers.get("Content-Type", "application/octet-stream")}
                return UpstreamResponse(response.status, headers, body)
        except TimeoutError as e:
            raise UpstreamFailed("upstream-timeout", "the recipient did not answer in time") from e
        except aiohttp.ClientError as e:
            raise UpstreamFailed("upstream-unavailable", f"cannot reach the recipient ({e.__class__.__name__})") from e
