"""Trust on first use of an orchestrator's self-signed certificate (wire §1).

Orchestrators make a new self-signed certificate at every start and gateways do not verify it.
grpcio cannot skip verification, so the gateway takes the certificate the server presents, uses
it as the only root, and names the server by the certificate's DNS name.
"""

import socket
import ssl
from dataclasses import dataclass

from cryptography import x509


@dataclass(frozen=True)
class PinnedCertificate:
    pem: bytes
    name: str
    """The name gRPC checks the certificate against (its first DNS name)."""


def certificate_name(der: bytes, fallback: str) -> str:
    """First DNS name of the certificate (go-livepeer puts even IP addresses there).

    Falls back to an IP address SAN, then the common name, then `fallback`.
    """
    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = None
    if san is not None:
        dns_names = san.get_values_for_type(x509.DNSName)
        if dns_names:
            return dns_names[0]
        ips = san.get_values_for_type(x509.IPAddress)
        if ips:
            return str(ips[0])
    common_names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    if common_names:
        value = common_names[0].value
        return value if isinstance(value, str) else value.decode()
    return fallback


def fetch_certificate(host: str, port: int, timeout: float) -> PinnedCertificate:
    """Blocking: TLS handshake without verification, return the presented certificate.

    Raises OSError (ssl.SSLError included) when the server cannot be reached.
    """
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((host, port), timeout=timeout) as sock,
        context.wrap_socket(sock, server_hostname=host) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    if der is None:
        raise ssl.SSLError("the server presented no certificate")
    return PinnedCertificate(ssl.DER_cert_to_PEM_cert(der).encode(), certificate_name(der, host))
