"""Which network addresses `newsqa add URL` may download from: public ones, unless the user opts in.

A page on the internet must not make newsqa fetch from the machine it runs on or its network (a
service on 127.0.0.1, a cloud metadata service on 169.254.169.254, a router on 192.168.0.1), whether
by its address, by a name that resolves there, or by a redirect. So every connection resolves its
host once, checks every address it got, and connects only to those checked addresses (`fetch.py`):
a second DNS answer can't swap in another one (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket

from retrieval.errors import NewsqaError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

OPT_IN = "pass --allow-private-addresses or set NEWSQA_ALLOW_PRIVATE_ADDRESSES=true"


class PrivateAddress(NewsqaError):
    """A download refused because its host is, or resolves to, an address that is not public.

    Not an `OSError`, so urllib passes it through unwrapped, and `fetch_article` shows it as it is."""


def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to for a TCP connection, in the resolver's order, each once.

    An address literal (`127.0.0.1`, `::1`, and also `2130706433` or `0x7f.1`, which the C library reads
    as 127.0.0.1) comes back as the address itself. Tests replace this function to play DNS."""
    found: list[str] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = str(sockaddr[0])
        if address not in found:
            found.append(address)
    return found


def non_public_kind(address: str) -> str | None:
    """What kind of non-public address `address` is ("a loopback address"), or None for a public one.

    An IPv6 address that carries an IPv4 one (IPv4-mapped `::ffff:127.0.0.1`, 6to4 `2002:7f00:1::`) is
    judged by the IPv4 address too: Python 3.11 calls `::ffff:127.0.0.1` neither loopback nor private."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # fe80::1%eth0: the zone is not part of the address
    judged: list[IPAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        judged = [ip.ipv4_mapped]  # the socket connects to the IPv4 address itself
    elif isinstance(ip, ipaddress.IPv6Address):  # the IPv4 address first: it names the kind better
        judged[:0] = [v4 for v4 in (ip.sixtofour, *(ip.teredo or ())) if v4 is not None]
    for each in judged:
        if each.is_loopback:
            return "a loopback address"
        if each.is_link_local:
            return "a link-local address"
        if each.is_unspecified:
            return "an unspecified address"
        if each.is_multicast:
            return "a multicast address"
        if each.is_reserved:
            return "a reserved address"
        if each.is_private:
            return "a private address"
        if not each.is_global:  # shared (100.64.0.0/10) and other special-purpose ranges
            return "not a public address"
    return None


def public_addresses(host: str, port: int, lead: str) -> list[str]:
    """The addresses of `host`, each checked to be public, to connect to; `PrivateAddress` otherwise.

    `lead` begins the message (the page, and the redirect that led here). Any one non-public address
    refuses the host: a name that resolves to both kinds is no safer than one that resolves to a
    private address only."""
    addresses = resolve_host(host, port)
    for address in addresses:
        kind = non_public_kind(address)
        if kind is not None:
            bare = host.strip("[]")
            what = f"{address} is {kind}" if _same_address(bare, address) else f"{bare} is {address}, {kind}"
            raise PrivateAddress(f"{lead} {what}: refused, nothing added; to download from your own network, {OPT_IN}")
    return addresses


def _same_address(host: str, address: str) -> bool:
    try:
        return ipaddress.ip_address(host) == ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
