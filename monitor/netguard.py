"""The address guard every outgoing fetch goes through: no private, loopback, link-local, multicast or reserved
addresses unless the config allows them (poller.allow_private = true), so a feed or article URL cannot be used
to reach services inside the network (SSRF).

The check resolves the host and refuses if ANY address it resolves to is not public. It runs before each
request and each redirect hop. (A host that changes its DNS answer between this check and the connect could
still slip through; the window is milliseconds.)
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class BlockedAddress(Exception):
    pass


def _is_public(ip: str) -> bool:
    addr = ipaddress.ip_address(ip.split("%")[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return not (addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_multicast or addr.is_reserved
                or addr.is_unspecified)


def check_ips(host: str, ips: list[str]) -> None:
    for ip in ips:
        if not _is_public(ip):
            raise BlockedAddress(f"refused: {host} resolves to {ip}, a private/loopback/link-local address "
                                 "(set poller.allow_private = true to allow it)")


async def check_url(url: str, allow_private: bool) -> None:
    """Raise BlockedAddress when url's host is (or resolves to) a non-public address."""
    if allow_private:
        return
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise BlockedAddress(f"refused: {url!r} has no host")
    try:
        ipaddress.ip_address(host)
        check_ips(host, [host])
        return
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80),
                                       type=socket.SOCK_STREAM)
    except socket.gaierror:
        return  # unresolvable: the fetch itself fails with a clear "cannot resolve" error
    check_ips(host, [info[4][0] for info in infos])
