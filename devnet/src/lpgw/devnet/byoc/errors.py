"""BYOC refusals with the reference orchestrator's texts; statuses are chosen in `http_app`."""

from lpgw.devnet.errors import DevnetError


class MissingEthAddress(DevnetError):
    def __init__(self) -> None:
        super().__init__(
            "Must have eth address and signature on address in Livepeer-Eth-Address header"
        )


class MissingCapability(DevnetError):
    def __init__(self) -> None:
        super().__init__(
            "Job capabilities not provided, must provide comma separated capabilities in "
            "Livepeer-Capability header"
        )


class PriceUnavailable(DevnetError):
    """The sender's reserve cannot back a ticket at the capability's price (HTTP 503)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Could not get price err={reason}")


class TicketParamsUnavailable(DevnetError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Could not get ticket params err={reason}")


class JobCredentialsRefused(DevnetError):
    """An undecodable `Livepeer` header or a job signature that does not verify."""

    def __init__(self) -> None:
        super().__init__("Could not verify job creds")


class NoCapacity(DevnetError):
    """No free slot for the capability, or the capability is not registered (HTTP 503)."""

    def __init__(self) -> None:
        super().__init__("No capacity available for capability")


class InsufficientJobBalance(DevnetError):
    """The balance does not cover a minute at the capability's price."""

    def __init__(self) -> None:
        super().__init__("Insufficient balance for request")


class MalformedJobDetails(DevnetError):
    """The job's `request` is not a JSON object."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Unable to unmarshal job request details err={reason}")


class InvalidAuthorization(DevnetError):
    """`/capability/register` or `/unregister` without the orchestrator secret."""

    def __init__(self) -> None:
        super().__init__("invalid authorization")


class RegistrationRefused(DevnetError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Error registering capability: {reason}")


class WorkerFailed(DevnetError):
    """The worker could not be reached or refused the orchestrator (HTTP 500)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"job not able to be processed, removing capability err={reason}")
