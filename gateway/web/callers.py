"""What the gateway's APIs share: who is calling (the bearer token verified as transfer tokens are, and the roles
it carries), and how a refused request is answered (an RFC 9457 problem document)."""

from __future__ import annotations

from aiohttp import web

from gateway.errors import PROBLEMS, RequestRejected
from gateway.model import Json, Principal
from gateway.problems import MEDIA_TYPE, problem_document
from gateway.web.state import GATEWAY

__all__ = ["ENTERPRISE", "OPERATOR", "REGULATOR", "Refused", "caller", "problem_response", "refusal"]

ENTERPRISE, REGULATOR, OPERATOR = "enterprise", "regulator", "operator"


def caller(request: web.Request, roles: frozenset[str]) -> Principal:
    """The authenticated caller holding one of ``roles``; :class:`RequestRejected` (401 or 403) otherwise."""
    gw = request.app[GATEWAY]
    principal = gw.verifier.authenticate(request.headers.get("Authorization"), gw.clock.now().timestamp())
    if not principal.roles & roles:
        raise RequestRejected("role-missing", f"this endpoint needs one of the roles {', '.join(sorted(roles))}")
    return principal


class Refused(RequestRejected):
    """A request an API refuses, with members its problem document adds (the bad fields of a request, say)."""

    def __init__(self, kind: str, detail: str, **extensions: Json) -> None:
        super().__init__(kind, detail)
        self.extensions = extensions


def problem_response(kind: str, detail: str, **extensions: Json) -> web.Response:
    """The problem document of ``kind`` as a response, with its status."""
    body = problem_document(kind, detail, **extensions)
    return web.Response(status=PROBLEMS[kind].status, body=body, content_type=MEDIA_TYPE)


def refusal(error: RequestRejected) -> web.Response:
    """The answer to a refused request: its problem document, with any members a :class:`Refused` carries."""
    extensions = error.extensions if isinstance(error, Refused) else {}
    return problem_response(error.kind, error.detail, **extensions)
