"""Classification of request bodies: which identifiers they carry, where, and whose."""

from gateway.classify.detectors import DETECTOR_CATEGORIES
from gateway.classify.scanner import scan, scan_text
from gateway.classify.scrub import scrub_text

__all__ = ["DETECTOR_CATEGORIES", "scan", "scan_text", "scrub_text"]
