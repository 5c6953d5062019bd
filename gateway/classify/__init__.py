"""Classification of request bodies: which personal data they carry, where, and whose."""

from gateway.classify.catalogue import DETECTOR_CATEGORIES, DETECTORS
from gateway.classify.scanner import Classifier, CustomDetector, scan, scan_text
from gateway.classify.scrub import scrub_text

__all__ = ["DETECTORS", "DETECTOR_CATEGORIES", "Classifier", "CustomDetector", "scan", "scan_text", "scrub_text"]
