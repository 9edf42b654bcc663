"""HTTP fetching for feeds: conditional GET, compression, redirect limit, and limits enforced while streaming."""

from __future__ import annotations

import asyncio
import email.utils
import socket
import time
from dataclasses import dataclass, field

import httpx

from monitor.netguard import BlockedAddress, check_url

MAX_REDIRECTS = 5


@dataclass
class FetchResult:
    url: str
    status: int = 0
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    final_url: str | None = None
    permanent_redirect: str | None = None
    retry_after: float | None = None
    max_age: float | None = None
    error: str | None = None
    content_type: str = ""
    elapsed: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class FetchError(Exception):
    pass


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now or time.time()))


def parse_max_age(headers: httpx.Headers) -> float | None:
    cache = headers.get("cache-control", "")
    for part in cache.split(","):
        key, _, value = part.strip().partition("=")
        if key.lower() == "max-age" and value.strip().isdigit():
            return float(value)
    expires = headers.get("expires")
    if expires:
        return parse_retry_after(expires)
    return None


def make_client(user_agent: str, timeout: float, max_connections: int = 64) -> httpx.AsyncClient:
    """A client with connection pooling, gzip/deflate/br decoding and no automatic redirects (we count them)."""
    return httpx.AsyncClient(
        headers={"User-Agent": user_agent, "Accept": "application/rss+xml, application/atom+xml, application/feed+json, "
                 "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5", "Accept-Encoding": "gzip, deflate, br"},
        timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
    )


class ClientPool:
    """Several small clients instead of one big one: httpcore scans its whole pool for every request, which costs
    more than the request itself once a pool holds hundreds of connections. A host always maps to one client."""

    def __init__(self, user_agent: str, timeout: float, concurrency: int, shards: int = 16) -> None:
        per = max(4, -(-concurrency // shards))
        self.clients = [make_client(user_agent, timeout, per) for _ in range(shards)]

    def for_url(self, url: str) -> httpx.AsyncClient:
        return self.clients[hash(url) % len(self.clients)]

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()


async def fetch(client: httpx.AsyncClient, url: str, etag: str | None = None, last_modified: str | None = None,
                max_bytes: int = 10_000_000, timeout: float = 20.0, allow_private: bool = False) -> FetchResult:
    """Fetch url once; never raises: problems come back in result.error with a human-readable reason."""
    started = time.monotonic()
    result = FetchResult(url=url)
    try:
        await asyncio.wait_for(_fetch(client, url, etag, last_modified, max_bytes, result, allow_private), timeout)
    except TimeoutError:
        result.error = f"timed out after {timeout:g} s (slow or stalled server)"
    except (FetchError, BlockedAddress) as error:
        result.error = str(error)
    except httpx.ConnectError as error:
        result.error = _connect_reason(url, error)
    except httpx.TooManyRedirects:
        result.error = "too many redirects"
    except httpx.DecodingError as error:
        result.error = f"could not decode the compressed body: {error}"
    except httpx.HTTPError as error:
        result.error = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    except (OSError, ValueError) as error:
        result.error = f"{type(error).__name__}: {error}"
    result.elapsed = time.monotonic() - started
    return result


def _connect_reason(url: str, error: Exception) -> str:
    """A connect failure in words a user can act on (httpx hides the errno a few causes down)."""
    parsed = httpx.URL(url)
    where = f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host
    seen: BaseException | None = error
    for _ in range(6):
        if seen is None:
            break
        text = str(seen)
        if isinstance(seen, socket.gaierror) or "Name or service not known" in text or "name resolution" in text:
            return f"cannot resolve host {parsed.host} (offline, or DNS cannot find it)"
        if isinstance(seen, ConnectionRefusedError) or "Connection refused" in text:
            return f"connection refused by {where} (nothing listens there: server down?)"
        if isinstance(seen, OSError) and "unreachable" in text.lower():
            return f"network unreachable for {where} (offline?)"
        seen = seen.__cause__ or seen.__context__
    return f"cannot connect to {where}: {error or type(error).__name__}"


async def _fetch(client: httpx.AsyncClient, url: str, etag: str | None, last_modified: str | None, max_bytes: int,
                 result: FetchResult, allow_private: bool = False) -> None:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current = url
    seen = {url}
    permanent = True
    for _ in range(MAX_REDIRECTS + 1):
        await check_url(current, allow_private)  # every hop: a redirect must not lead inside the network
        async with client.stream("GET", current, headers=headers) as response:
            if response.status_code in (301, 302, 303, 307, 308):
                location = response.headers.get("location")
                if not location:
                    raise FetchError(f"HTTP {response.status_code} redirect without a Location header")
                nxt = str(response.url.join(location))
                if nxt in seen:
                    raise FetchError(f"redirect loop at {nxt}")
                seen.add(nxt)
                permanent = permanent and response.status_code in (301, 308)
                current = nxt
                continue
            result.status = response.status_code
            result.final_url = current
            if current != url and permanent:
                result.permanent_redirect = current
            result.etag = response.headers.get("etag")
            result.last_modified = response.headers.get("last-modified")
            result.retry_after = parse_retry_after(response.headers.get("retry-after"))
            result.max_age = parse_max_age(response.headers)
            result.content_type = response.headers.get("content-type", "")
            if response.status_code == 304:
                return
            if response.status_code >= 400:
                raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"body of {int(declared)} bytes is over the {max_bytes}-byte limit")
            chunks, size = [], 0
            # aiter_bytes decodes gzip/deflate/br as it streams, so a compression bomb is stopped at the limit.
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"body is over the {max_bytes}-byte limit (after decompression)")
                chunks.append(chunk)
            result.body = b"".join(chunks)
            return
    raise FetchError(f"more than {MAX_REDIRECTS} redirects")
