"""The signer's error tree; envelope.py maps each type to an HTTP status, once."""


class SignerError(Exception):
    """Base of errors a caller can cause; the message is safe to return to the caller."""


class Unauthorized(SignerError):
    """No bearer token, or one that is not accepted."""


class InvalidRequest(SignerError):
    """The request body cannot be used."""
