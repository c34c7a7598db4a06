"""Live video playback: HLS and DASH written from the segment records in Redis.

Pure modules (`timeline`, `lineup`, `hls`, `mpd`, `ranges`, `boxes`, `aac`) take plain data and
return text or bytes; `catalog` reads the records, `remux` runs PyAV, `fragments` caches what
`remux` made.
"""
