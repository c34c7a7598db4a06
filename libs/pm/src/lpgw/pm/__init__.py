"""Probabilistic micropayments: tickets, EV, fees, balances. Pure functions, no I/O.

The payment model is explained in README.md beside this package. Modules hold one concept
each; the names most callers need are re-exported here.
"""

from lpgw.pm.balances import Balances, BalanceUpdate, UpdateStatus, settle, stage_update
from lpgw.pm.chain import ChainView, DevnetChain
from lpgw.pm.errors import PmError, ReceiveError, TicketParamsError
from lpgw.pm.ev import MAX_WIN_PROB, ticket_ev
from lpgw.pm.nonces import MemoryNonceStore, NonceStore, SeenNonces, reserve_nonces
from lpgw.pm.params import ExpirationParams, SenderInfo, TicketParams, TicketSenderParams
from lpgw.pm.price import Price, PriceInfo
from lpgw.pm.receiving import Payment, PaymentOutcome, RecipientView, process_payment
from lpgw.pm.recipient import IssueContext, Recipient, RecipientConfig
from lpgw.pm.signing import Signer, sign_tickets, verify_ticket_signature
from lpgw.pm.tickets import Ticket
from lpgw.pm.validation import SenderLimits, validate_ticket_params

__all__ = [
    "MAX_WIN_PROB",
    "BalanceUpdate",
    "Balances",
    "ChainView",
    "DevnetChain",
    "ExpirationParams",
    "IssueContext",
    "MemoryNonceStore",
    "NonceStore",
    "Payment",
    "PaymentOutcome",
    "PmError",
    "Price",
    "PriceInfo",
    "ReceiveError",
    "Recipient",
    "RecipientConfig",
    "RecipientView",
    "SeenNonces",
    "SenderInfo",
    "SenderLimits",
    "Signer",
    "Ticket",
    "TicketParams",
    "TicketParamsError",
    "TicketSenderParams",
    "UpdateStatus",
    "process_payment",
    "reserve_nonces",
    "settle",
    "sign_tickets",
    "stage_update",
    "ticket_ev",
    "validate_ticket_params",
    "verify_ticket_signature",
]
