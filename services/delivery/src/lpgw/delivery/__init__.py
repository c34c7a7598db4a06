"""Serves results: re-hosted AI media, later HLS."""
