"""Stand-in outputs for every batch AI pipeline: small, deterministic and real.

Pure functions over plain values and bytes (no HTTP, no event loop), one module per pipeline
or media kind, so the devnet's HTTP layer only decodes the request, calls one, and re-hosts or
returns what it gives. The same inputs always give the same bytes, so tests compare outputs;
what a request varies (prompt, seed, input media) visibly varies the output. Media are real:
PNGs open in Pillow, MP4s decode in PyAV, WAVs parse with `wave`.

Errors are the typed ones in `errors`, all `InvalidParameters` (HTTP 400 at the devnet's
boundary). text-to-image lives in `lpgw.devnet.images`.
"""
