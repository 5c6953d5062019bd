"""The output of ``gateway classify``: one JSON object per finding, then one summary object. Pure.

The fields are a contract for operators' scripts: ``pointer`` (RFC 6901), ``detector``, ``category``,
``subject`` (the pointer of the individual the finding belongs to; null for an organisation's identifier or data
that belongs to no one), ``confidence``, and ``span`` ([start, end] in the string) for data inside a longer string.
No value found is ever printed: the output can be shared with whoever tunes the policy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from gateway.classify.catalogue import ORGANISATION_DETECTORS
from gateway.model import Classification, Json

__all__ = ["finding_objects", "summary_object"]


def _subject_of(pointer: str, subjects: list[str]) -> str | None:
    """The deepest subject pointer at or above ``pointer``, token-wise."""
    best = None
    for subject in subjects:
        if (pointer == subject or pointer.startswith(subject + "/") or subject == "") and (
            best is None or len(subject) > len(best)
        ):
            best = subject
    return best


def finding_objects(classification: Classification) -> Iterator[dict[str, Json]]:
    """One object per finding, in (pointer, start) order."""
    subjects = [s.pointer for s in classification.subjects]
    for f in classification.findings:
        subject = None if f.detector in ORGANISATION_DETECTORS else _subject_of(f.pointer, subjects)
        out: dict[str, Json] = {
            "pointer": f.pointer,
            "detector": f.detector,
            "category": f.category,
            "subject": subject,
            "confidence": f.confidence,
        }
        if f.end is not None:
            out["span"] = [f.start, f.end]
        yield out


def summary_object(classification: Classification, size: int, seconds: float) -> dict[str, Json]:
    """Counts by detector and category, the number of individuals, and the speed of the scan."""
    by_detector = Counter(f.detector for f in classification.findings)
    by_category = Counter(f.category for f in classification.findings)
    sensitive = sum(1 for s in classification.subjects if any(c.startswith("SPI.") for c in s.categories))
    return {
        "summary": {
            "findings": len(classification.findings),
            "individuals": len(classification.subjects),
            "sensitive_individuals": sensitive,
            "by_detector": dict(sorted(by_detector.items())),
            "by_category": dict(sorted(by_category.items())),
            "bytes": size,
            "milliseconds": round(seconds * 1000, 3),
        }
    }
