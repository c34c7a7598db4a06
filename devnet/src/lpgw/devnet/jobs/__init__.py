"""Every batch AI pipeline over HTTP, one generic path read from lpgw.pipelines' declarations.

`decoding` turns a body into the declared request (decoded as the reference orchestrator
decodes: types only), `planning` sizes and bills each pipeline's job and names the
lpgw.devnet.ai generator that makes its output, `answers` turns outputs into the reference's
response shapes, and `service` runs the order of wire.md §7.4.
"""
