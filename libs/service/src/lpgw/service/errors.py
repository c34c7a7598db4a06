"""Errors that stop a service before it serves: bad settings, a port in use, a missing key.

`run_service` turns them into one log line and a non-zero exit status, without a traceback,
so an operator reads the cause instead of a stack.
"""


class StartupError(Exception):
    """The service refuses to start; the message says why and must carry no secret."""


class SettingsError(StartupError):
    """The environment does not describe a valid configuration."""


class HttpBindError(StartupError):
    """The HTTP server could not listen on its address."""
