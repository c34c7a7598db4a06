"""Transcoding on the devnet: `POST /segment` (wire.md §7.3), real x264 renditions or the input
passed through, sessions counted against `--max-sessions`, results served from `/stream`."""
