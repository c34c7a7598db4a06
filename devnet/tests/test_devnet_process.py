"""The devnet as a process: identity, the certificate it presents, a clean stop."""

import datetime
import ssl

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from lpgw.devnet.launcher import RunningDevnet
from lpgw.eth import PrivateKey


def test_configured_key_is_the_address(devnet: RunningDevnet, key_hex: str) -> None:
    assert devnet.address == PrivateKey(bytes.fromhex(key_hex)).checksum_address
    assert key_hex not in devnet.log_path.read_text()


def test_certificate_is_shaped_like_go_livepeers(fleet: dict[str, RunningDevnet]) -> None:
    tls = fleet["tls"]
    pem = ssl.get_server_certificate(("127.0.0.1", tls.port))

    certificate = x509.load_pem_x509_certificate(pem.encode())
    public_key = certificate.public_key()
    extensions = certificate.extensions
    usage = extensions.get_extension_for_class(x509.KeyUsage).value
    names = extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert tls.url.startswith("https://127.0.0.1:")
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert public_key.curve.name == "secp256r1"
    assert extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert usage.key_cert_sign and usage.digital_signature
    assert list(extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.SERVER_AUTH
    ]
    assert names.get_values_for_type(x509.DNSName) == ["127.0.0.1"]
    validity = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert validity == datetime.timedelta(hours=8765)


def test_sigterm_stops_cleanly(fleet: dict[str, RunningDevnet]) -> None:
    assert fleet["disposable"].stop() == 0
