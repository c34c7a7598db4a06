"""Errors of the Ethereum primitives. Messages never carry key material."""


class EthError(Exception):
    """Base of every error raised by lpgw.eth."""


class InvalidAddress(EthError, ValueError):
    pass


class InvalidSignature(EthError, ValueError):
    """A signature is malformed (length, v, high s) or does not recover."""


class InvalidKey(EthError, ValueError):
    pass


class KeystoreError(EthError):
    """A keystore file cannot be read, or the password does not unlock it."""
