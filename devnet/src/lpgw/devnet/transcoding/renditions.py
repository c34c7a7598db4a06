"""What a transcoded segment gives back: renditions, where they are served, and the signed
TranscodeData (wire.md §3.7, §4.5). Pure apart from the signer it is handed."""

import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass

from lpgw.video.profiles import VideoProfile
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.signers import MessageSigner
from lpgw.wire.transcoding import transcode_data_sig

CONTENT_TYPES = {"mpegts": "video/mp2t", "mp4": "video/mp4"}


@dataclass(frozen=True)
class Rendition:
    profile: VideoProfile
    data: bytes
    pixels: int
    """width × height × frames actually produced: what the segment is charged for."""

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.profile.container]


def rendition_file(profile: VideoProfile, seq: int) -> str:
    """The file under the session in the result store: `{profile name}/{seq}.ts` (or .mp4)."""
    return f"{profile.name}/{seq}{profile.extension}"


def rendition_url(service_uri: str, session_id: str, profile: VideoProfile, seq: int) -> str:
    """`{service URI}/stream/{session_id}/{profile name}/{seq}.ts`, the name path-escaped."""
    name = urllib.parse.quote(profile.name, safe="")
    return f"{service_uri}/stream/{session_id}/{name}/{seq}{profile.extension}"


def transcode_data(
    renditions: Sequence[Rendition], urls: Sequence[str], signer: MessageSigner | None
) -> pb.TranscodeData:
    """One TranscodedSegmentData per rendition, in profile order; signed when on-chain."""
    data = pb.TranscodeData(
        segments=[
            pb.TranscodedSegmentData(url=url, pixels=rendition.pixels)
            for rendition, url in zip(renditions, urls, strict=True)
        ]
    )
    if signer is not None:
        data.sig = transcode_data_sig([r.data for r in renditions], signer)
    return data
