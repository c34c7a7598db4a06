"""Client side of the payment-signer, shared by the selector and the session: the gateway's
identity, and payment sessions."""

from lpgw.signer_client.identity import (
    OFF_CHAIN,
    GatewayIdentity,
    SignerAnswerInvalid,
    bearer_token,
    fetch_identity,
    parse_identity,
)

__all__ = [
    "OFF_CHAIN",
    "GatewayIdentity",
    "SignerAnswerInvalid",
    "bearer_token",
    "fetch_identity",
    "parse_identity",
]
