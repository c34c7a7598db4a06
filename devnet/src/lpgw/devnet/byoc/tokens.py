"""`GET /process/token` (wire.md §7.6): who may send a job, at what price, with which ticket
params, and how much capacity and balance it has.

Order of checks: the `Livepeer-Eth-Address` header present, decodable and (payments on)
signed by its address; `Livepeer-Capability` present; ticket params for (sender, price), an
insufficient sender reserve being 503 as in the reference. A capability that is not
registered answers a token without capacity, which gateways drop.
"""

from fractions import Fraction

from lpgw.devnet.byoc.errors import (
    MissingCapability,
    MissingEthAddress,
    PriceUnavailable,
    TicketParamsUnavailable,
)
from lpgw.devnet.node import Node
from lpgw.devnet.pricing import price_info
from lpgw.eth import InvalidAddress, parse_address
from lpgw.pm import PmError
from lpgw.pm.errors import InsufficientSenderReserve
from lpgw.wire.byoc import (
    InvalidEthAddressHeader,
    InvalidJobSignature,
    JobSender,
    JobToken,
    parse_eth_address_header,
    signature_bytes,
)

ZERO_ADDRESS = bytes(20)


def sender_of(sender: JobSender, verify: bool) -> bytes:
    """The header's address: verified on-chain; off-chain only its signature's hex is read,
    and an unreadable address is the zero address (Go's HexToAddress never fails)."""
    if verify:
        return sender.verify()
    try:
        signature_bytes(sender.sig)
    except InvalidJobSignature as exc:
        raise InvalidEthAddressHeader() from exc
    try:
        return parse_address(sender.addr.lower())
    except InvalidAddress:
        return ZERO_ADDRESS


def issue_token(node: Node, eth_address: str, capability: str) -> JobToken:
    if not eth_address:
        raise MissingEthAddress()
    sender = parse_eth_address_header(eth_address)
    address = sender_of(sender, verify=node.payments is not None)
    if not capability:
        raise MissingCapability()
    registration = node.byoc.get(capability)
    price = Fraction(0)
    if node.payments is not None and registration is not None:
        price = registration.price
    params = None
    if node.payments is not None:
        try:
            params = node.payments.ticket_params(address, price)
        except InsufficientSenderReserve as exc:
            raise PriceUnavailable(str(exc)) from exc
        except PmError as exc:
            raise TicketParamsUnavailable(str(exc)) from exc
    balance = 0 if node.payments is None else int(node.payments.balance(address, capability))
    return JobToken(
        sender_address=sender,
        ticket_params=params,
        balance=balance,
        price=price_info(price),
        service_addr=node.service_uri,
        available_capacity=node.byoc.free(capability),
    )
