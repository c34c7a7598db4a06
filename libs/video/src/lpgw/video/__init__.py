"""Live video, shared by intake, session and delivery: transcoding profiles (`profiles`), the
records of streams and delivered segments (`records`) and their Redis store (`streams`), and
the codec string of an MPEG-TS segment (`codecs`). No media library: this is plain data."""
