"""Categories an enterprise declares for a whole body, which no detector can see. Pure.

Important data (重要数据) is important because an authority's catalogue or notice says so (2024 Provisions Art 2),
and core data likewise: the content does not show it. The enterprise that knows declares it with the
``Gateway-Categories`` header; a declaration adds categories, it never removes what the classifier found.
"""

from __future__ import annotations

from gateway.model import Classification, Finding

__all__ = ["DECLARED_DETECTOR", "with_declared"]

DECLARED_DETECTOR = "declared"  # the detector id of a declared category's finding, at the body's root


def with_declared(classification: Classification, categories: tuple[str, ...]) -> Classification:
    """``classification`` with a finding at the root for each declared category."""
    if not categories:
        return classification
    added = tuple(Finding("", DECLARED_DETECTOR, category, 1.0) for category in sorted(set(categories)))
    return Classification(added + classification.findings, classification.subjects, classification.opaque)
