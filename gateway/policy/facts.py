"""Facts of a decision that do not come from the request itself. Pure."""

from __future__ import annotations

from gateway.model import Classification, Facts, Level
from gateway.policy.compiled import CompiledPolicy

__all__ = ["count_individuals", "facts_of_this_transfer", "individuals"]


def individuals(classification: Classification, policy: CompiledPolicy) -> dict[str, bool]:
    """The individuals whose personal information a body holds, by JSON pointer, each with whether it holds
    sensitive personal information of theirs: who the yearly counts count."""
    found = {}
    for subject in classification.subjects:
        top = policy.level_of(subject.categories) if subject.categories else Level.PERSONAL
        if top >= Level.PERSONAL:
            found[subject.pointer] = top >= Level.SENSITIVE
    return found


def count_individuals(classification: Classification, policy: CompiledPolicy) -> tuple[int, int]:
    """Individuals in a body with personal information, and how many of them with sensitive personal information."""
    flags = individuals(classification, policy)
    return len(flags), sum(flags.values())


def facts_of_this_transfer(classification: Classification, policy: CompiledPolicy) -> Facts:
    """Facts that know only this transfer: its own individuals as the year-to-date counts, no consent records."""
    personal, sensitive = count_individuals(classification, policy)
    return Facts(ytd_personal=personal, ytd_sensitive=sensitive)
