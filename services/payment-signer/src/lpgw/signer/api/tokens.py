"""Which bearer tokens the signer accepts, from SIGNER_TOKEN_HASHES and SIGNER_TOKEN_FILE.

A token file is read and hashed at once; only the digest stays in memory. In dev a missing
token file is created with a random token (mode 0600) for the local callers to read.
"""

import secrets

from lpgw.service.logs import get_logger
from lpgw.service.secretfile import read_secret_file, write_secret_file
from lpgw.signer.api.auth import BearerAuth, token_digest
from lpgw.signer.settings import SignerSettings

log = get_logger(__name__)


def load_auth(settings: SignerSettings) -> BearerAuth:
    if settings.signer_auth_disabled:
        log.warning("auth_disabled", extra={"host": settings.http_host})
        return BearerAuth.off()
    digests: list[bytes | tuple[str, bytes]] = list(settings.client_digests)
    path = settings.token_file
    if path is not None:
        if settings.is_dev and not path.exists():
            write_secret_file(path, secrets.token_urlsafe(32))
            log.warning("dev_token_created", extra={"token_file": str(path)})
        digests.append(token_digest(read_secret_file(path)))
    auth = BearerAuth(digests)
    log.info("auth_configured", extra={"accepted_tokens": auth.accepted_count})
    return auth
