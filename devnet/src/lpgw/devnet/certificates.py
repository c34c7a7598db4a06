"""The per-start self-signed TLS certificate, shaped like go-livepeer's (wire.md §1).

A new key and certificate at every start means gateways that pin on first use must re-fetch
after a restart, which is the behaviour they need to handle against real orchestrators.
"""

import datetime
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = datetime.timedelta(hours=8765)


@dataclass(frozen=True)
class CertificateFiles:
    certfile: Path
    keyfile: Path


def self_signed(host: str, now: datetime.datetime) -> tuple[bytes, bytes]:
    """PEM certificate and PEM PKCS#8 key; `host` goes in DNSNames even when it is an IP."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "lpgw devnet orchestrator")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(secrets.token_bytes(16), "big") or 1)
        .not_valid_before(now)
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


def write(directory: Path, certificate_pem: bytes, key_pem: bytes) -> CertificateFiles:
    """Write both files into a private directory; the key file is readable by the owner only."""
    certfile, keyfile = directory / "cert.pem", directory / "key.pem"
    certfile.write_bytes(certificate_pem)
    keyfile.touch(mode=0o600)
    keyfile.write_bytes(key_pem)
    return CertificateFiles(certfile=certfile, keyfile=keyfile)
