# Two commands matter: `make run` (the whole gateway locally, with a demo) and `make test`.
# Everything installs into the repo: uv into .tools/, the workspace into .venv/.

UV := .tools/bin/uv
RUN := $(UV) run --frozen

.PHONY: setup run demo test lint typecheck proto proto-check bench bench-signer bench-video config-docs clean

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv>=0.5,<1"

setup: $(UV)
	$(UV) sync --frozen --all-packages

run: setup
	$(RUN) lpgw-stack run

demo: setup
	$(RUN) lpgw-stack demo

test: setup lint typecheck proto-check
	$(RUN) pytest

lint: setup
	$(RUN) ruff format --check .
	$(RUN) ruff check .

typecheck: setup
	$(RUN) mypy libs/eth/src libs/pm/src libs/wire/src libs/bus/src libs/state/src libs/apikeys/src libs/blobs/src libs/service/src libs/stack/src libs/signer-client/src libs/video/src libs/pipelines/src
	$(RUN) mypy devnet/src services/intake/src services/delivery/src services/selector/src services/session/src services/payment-signer/src tools bench

proto: setup
	$(RUN) python libs/wire/tools/gen_proto.py

proto-check: setup
	$(RUN) python libs/wire/tools/gen_proto.py --check

bench: setup
	$(RUN) python bench/ai_overhead.py

bench-signer: setup
	$(RUN) python bench/signer.py

bench-video: setup
	$(RUN) python bench/video.py

config-docs: setup
	$(RUN) python tools/config_docs.py --write

clean:
	rm -rf .venv .tools .data .pytest_cache .mypy_cache .ruff_cache
