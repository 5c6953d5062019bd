"""Who is calling the gateway's APIs: the bearer token verified as transfer tokens are, and the roles it carries."""

from __future__ import annotations

from aiohttp import web

from gateway.errors import RequestRejected
from gateway.model import Principal
from gateway.web.state import GATEWAY

__all__ = ["ENTERPRISE", "OPERATOR", "REGULATOR", "caller"]

ENTERPRISE, REGULATOR, OPERATOR = "enterprise", "regulator", "operator"


def caller(request: web.Request, roles: frozenset[str]) -> Principal:
    """The authenticated caller holding one of ``roles``; :class:`RequestRejected` (401 or 403) otherwise."""
    gw = request.app[GATEWAY]
    principal = gw.verifier.authenticate(request.headers.get("Authorization"), gw.clock.now().timestamp())
    if not principal.roles & roles:
        raise RequestRejected("role-missing", f"this endpoint needs one of the roles {', '.join(sorted(roles))}")
    return principal
