"""Request helpers shared by every app."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or the configured trusted proxy header only.

    The one answer for the audit log and allauth's rate limits and sessions
    (`accounts.adapter.AccountAdapter.get_client_ip`): a bare address, without a port.
    """
    header = settings.TRUSTED_CLIENT_IP_HEADER
    if header:
        meta_key = "HTTP_" + header.upper().replace("-", "_")
        forwarded = request.META.get(meta_key, "")
        # The proxy appends the address it saw last; anything earlier is client-supplied.
        candidates = [part.strip() for part in forwarded.split(",") if part.strip()]
        if candidates and (address := bare_address(candidates[-1])):
            return address
    return bare_address(request.META.get("REMOTE_ADDR") or "")


def bare_address(value: str) -> str | None:
    """`value` as a bare IP address ("203.0.113.7:443" and "[2001:db8::1]:443" lose their
    port, an IPv6 zone is dropped), or None if it is not an address."""
    value = value.strip()
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        return str(ipaddress.ip_address(value.partition("%")[0]))
    except ValueError:
        return None
