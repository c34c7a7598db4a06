"""Prometheus series of the signer (registered once, on the default registry)."""

from prometheus_client import Counter

SIGNATURES = Counter(
    "lpgw_signer_signatures_total", "Signing calls answered with signatures, by route.", ["route"]
)
TICKETS = Counter("lpgw_signer_tickets_total", "Tickets signed and returned, by route.", ["route"])
