"""Shadow mode: a candidate policy decides every transfer beside the live one, and is never enforced.

:class:`ShadowStats` counts how often the two agree and logs each difference with the decision id, effects, rules
and revisions (never anything of the body), so operators see what a policy change would do before making it.
"""

from __future__ import annotations

from collections import Counter

import structlog

from gateway.model import Decision, Json

__all__ = ["ShadowStats", "differs"]

_log = structlog.get_logger("gateway.shadow")


def _mechanism(decision: Decision) -> str | None:
    return decision.mechanism.mechanism if decision.mechanism else None


def differs(live: Decision, shadow: Decision) -> bool:
    """The decisions differ in effect, deciding rule or mechanism relied on."""
    return live.effect is not shadow.effect or live.rule_id != shadow.rule_id or (live.mechanism != shadow.mechanism)


class ShadowStats:
    """Agreement between the live and the shadow policy for one pair of revisions; :meth:`reset` on reload."""

    def __init__(self) -> None:
        self.live_revision: str | None = None
        self.shadow_revision: str | None = None
        self.evaluated = 0
        self.differing = 0
        self.stale = 0  # observations made with another pair of revisions (a reload landed meanwhile)
        self.pairs: Counter[tuple[str, str]] = Counter()  # (live rule, shadow rule) -> transfers

    def reset(self, live_revision: str, shadow_revision: str | None) -> None:
        """Start counting afresh for this pair of revisions."""
        self.live_revision, self.shadow_revision = live_revision, shadow_revision
        self.evaluated = self.differing = self.stale = 0
        self.pairs.clear()

    def observe(self, decision_id: str, live: Decision, shadow: Decision) -> None:
        """Count one transfer decided by both policies; log it if they differ."""
        different = differs(live, shadow)
        if different:
            _log.info(
                "policy_shadow_differs",
                decision_id=decision_id,
                live_effect=live.effect.value,
                live_rule=live.rule_id,
                live_mechanism=_mechanism(live),
                live_revision=live.policy_revision,
                shadow_effect=shadow.effect.value,
                shadow_rule=shadow.rule_id,
                shadow_mechanism=_mechanism(shadow),
                shadow_revision=shadow.policy_revision,
            )
        if (live.policy_revision, shadow.policy_revision) != (self.live_revision, self.shadow_revision):
            self.stale += 1
            return
        self.evaluated += 1
        self.differing += different
        self.pairs[live.rule_id, shadow.rule_id] += 1

    def summary(self) -> dict[str, Json]:
        """Counts for the admin API: evaluated, differing and each (live rule, shadow rule) pair."""
        return {
            "evaluated": self.evaluated,
            "differing": self.differing,
            "pairs": [
                {"live_rule": live, "shadow_rule": shadow, "count": count}
                for (live, shadow), count in sorted(self.pairs.items())
            ],
        }
