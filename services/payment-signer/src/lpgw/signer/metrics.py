"""Prometheus series of the signer (registered once, on the default registry)."""

from prometheus_client import Counter

SIGNATURES = Counter(
    "lpgw_signer_signatures_total", "Signatures served to callers, by route.", ["route"]
)
