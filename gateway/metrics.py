"""Prometheus metrics, on a registry of the application's own (never the process-global one).

Every label value is something the gateway or its configuration names, from a bounded set: decisions, policy rule
ids, recipient ids, category names of the policy's vocabulary, exporter organisations (from verified tokens), step
names, route templates, methods normalised to the HTTP method registry and status classes. Nothing a caller types
freely, and no personal data: no subject, no path, no body value, no query.

The stores report their commits through :data:`AuditCommitObserver` (``on_commit`` of the audit store), the data
path through :meth:`Metrics.decided` and :meth:`Metrics.step`, the edge through :meth:`Metrics.http`, and policy
reloads through :func:`count_reload`.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar, runtime_checkable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

from gateway.model import Classification, Decision, Facts, Transfer

__all__ = [
    "KNOWN_METHODS",
    "AuditCommitObserver",
    "CommitObservable",
    "Metrics",
    "Observe",
    "count_reload",
    "count_reloads",
    "known_method",
    "status_class",
]

T = TypeVar("T")

AuditCommitObserver = Callable[[int, float], None]
"""What an audit store calls after each durable commit: ``(records, seconds)``, the number of records the commit
made durable (its group size) and the seconds from handing the group to the writer to its being durable. Called on
the event loop, only for commits that succeeded; it must be cheap and must not raise."""

Observe = Callable[[float], None]  # a histogram's (bound) observe


@runtime_checkable
class CommitObservable(Protocol):
    """An audit store that reports its commits: the application sets ``on_commit`` after opening it."""

    on_commit: AuditCommitObserver | None


# Latency buckets (seconds) for in-process steps and commits: 50 us to 10 s.
_FAST_BUCKETS = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_HTTP_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_GROUP_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)

# RFC 9110 and RFC 5789 methods; anything else is "_OTHER" (as in OpenTelemetry's HTTP conventions), so that a
# caller cannot mint label values (or span names) by inventing methods.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})


def known_method(method: str) -> str:
    return method if method in KNOWN_METHODS else "_OTHER"


def status_class(status: int) -> str:
    """``2xx``, ``4xx``... for a status code."""
    return f"{status // 100}xx" if 100 <= status <= 599 else "other"


class Metrics:
    """The gateway's metrics on one registry; ``exposition()`` is what ``GET /metrics`` serves."""

    def __init__(self, registry: CollectorRegistry | None = None, *, process: bool = True) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.transfers = Counter(
            "gateway_transfers",
            "Transfers decided by the policy (preflights excluded), by decision, deciding rule and recipient.",
            ["decision", "rule", "recipient"],
            registry=r,
        )
        self.categories = Counter(
            "gateway_transfer_categories",
            "Decided transfers holding each category of data, by decision.",
            ["category", "decision"],
            registry=r,
        )
        self.steps = Histogram(
            "gateway_step_duration_seconds",
            "Time spent in each step of the data path.",
            ["step"],
            buckets=_FAST_BUCKETS,
            registry=r,
        )
        self.audit_append = Histogram(
            "gateway_audit_append_duration_seconds",
            "Time from handing a group of audit records to the writer to their being durable, per commit.",
            buckets=_FAST_BUCKETS,
            registry=r,
        )
        self.audit_group = Histogram(
            "gateway_audit_group_size",
            "Audit records made durable per commit (group commit).",
            buckets=_GROUP_BUCKETS,
            registry=r,
        )
        self.policy_reloads = Counter(
            "gateway_policy_reloads",
            "Policy reloads (admin API or SIGHUP): applied, or refused with the running policy unchanged.",
            ["outcome"],
            registry=r,
        )
        self.individuals = Gauge(
            "gateway_individuals",
            "Individuals an exporter (an organisation) has sent abroad this calendar year, as the last allowed "
            "transfer's decision counted them (this transfer included).",
            ["exporter", "kind"],
            registry=r,
        )
        self.http_requests = Counter(
            "gateway_http_requests",
            "HTTP requests answered, by method, route template and status class.",
            ["method", "route", "status_class"],
            registry=r,
        )
        self.http_duration = Histogram(
            "gateway_http_request_duration_seconds",
            "Time to answer an HTTP request, by method, route template and status class.",
            ["method", "route", "status_class"],
            buckets=_HTTP_BUCKETS,
            registry=r,
        )
        if process:
            ProcessCollector(registry=r)  # reads /proc only when scraped; nothing where there is no /proc
            PlatformCollector(registry=r)
            GCCollector(registry=r)
        # Bound children, so that the hot path skips labels()' lock and argument checks.
        self._steps: dict[str, Observe] = {}
        self._http: dict[tuple[str, str, str], tuple[Callable[[], None], Observe]] = {}
        self._decided: dict[tuple[str, str, str], Callable[[], None]] = {}
        self._categories: dict[tuple[str, str], Callable[[], None]] = {}
        self._individuals: dict[str, tuple[Observe, Observe]] = {}

    def exposition(self) -> bytes:
        """The registry in the text exposition format."""
        return generate_latest(self.registry)

    def step(self, name: str) -> Observe:
        """The observer of step ``name``'s duration (bound once per step name)."""
        observe = self._steps.get(name)
        if observe is None:
            observe = self._steps[name] = self.steps.labels(name).observe
        return observe

    def decided(self, transfer: Transfer, classification: Classification, decision: Decision, facts: Facts) -> None:
        """Count a policy decision: the transfer, its categories and, for an allowed one, the exporter's year."""
        outcome = "allowed" if decision.allowed else "refused"
        key = (outcome, decision.deciding.rule_id if decision.deciding else "", transfer.recipient)
        count = self._decided.get(key)
        if count is None:
            count = self._decided[key] = self.transfers.labels(*key).inc
        count()
        for category in classification.categories:
            pair = (category, outcome)
            count = self._categories.get(pair)
            if count is None:
                count = self._categories[pair] = self.categories.labels(*pair).inc
            count()
        if decision.allowed:  # a refused transfer's individuals were not counted: its view would overstate
            exporter = transfer.principal.organisation
            setters = self._individuals.get(exporter)
            if setters is None:
                setters = self._individuals[exporter] = (
                    self.individuals.labels(exporter, "personal").set,
                    self.individuals.labels(exporter, "sensitive").set,
                )
            setters[0](facts.ytd_personal)
            setters[1](facts.ytd_sensitive)

    def audit_committed(self, records: int, seconds: float) -> None:
        """:data:`AuditCommitObserver`: one durable commit of ``records`` records that took ``seconds``."""
        self.audit_append.observe(seconds)
        self.audit_group.observe(records)

    def reload(self, *, applied: bool) -> None:
        self.policy_reloads.labels("applied" if applied else "refused").inc()

    def http(self, method: str, route: str, status: str, seconds: float) -> None:
        """One answered request; ``route`` is the matched route's template ("" when none matched)."""
        key = (method, route, status)
        bound = self._http.get(key)
        if bound is None:
            bound = self._http[key] = (
                self.http_requests.labels(method, route, status).inc,
                self.http_duration.labels(method, route, status).observe,
            )
        inc, observe = bound
        inc()
        observe(seconds)


# The metrics of each live policy's application, so that the admin module's reload (which is handed the live policy
# only, by the API and by SIGHUP) counts into the right registry. Weak: an application's end releases its entry.
_RELOADS: weakref.WeakKeyDictionary[object, Metrics] = weakref.WeakKeyDictionary()


def count_reloads(live: object, metrics: Metrics) -> None:
    """Count the reloads of ``live`` (the application's :class:`gateway.policy.live.LivePolicy`) into ``metrics``."""
    _RELOADS[live] = metrics


async def count_reload(live: object, reloading: Awaitable[T]) -> T:
    """Await a reload of ``live`` and count it: applied if it returns, refused if it raises (the policy in force is
    then unchanged). Uncounted for a live policy no :func:`count_reloads` registered."""
    metrics = _RELOADS.get(live)
    try:
        result = await reloading
    except Exception:
        if metrics is not None:
            metrics.reload(applied=False)
        raise
    if metrics is not None:
        metrics.reload(applied=True)
    return result
