"""Enforcement gateway for cross-border data transfers (SIP - Singapore pilot).

The data path is in :mod:`gateway.pipeline`; everything else is a part it calls.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
