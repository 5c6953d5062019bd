"""The consent registry's pure core: consent requests checked against the policy, records, and signed receipts."""

from gateway.consent.validate import ConsentDraft, ConsentInvalid, ConsentRecord, FieldError, parse_consent, status

__all__ = ["ConsentDraft", "ConsentInvalid", "ConsentRecord", "FieldError", "parse_consent", "status"]
