"""The JetStream streams of one prefix, and their idempotent declaration."""

from lpgw.bus.subjects import Names
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

JOBS_DUPLICATE_WINDOW_S = 120.0
JOBS_MAX_AGE_S = 3600.0
"""A job nobody took within an hour is past every request deadline: drop it from disk."""
RESULTS_MAX_AGE_S = 3600.0
OUTCOMES_MAX_AGE_S = 24 * 3600.0
AUDIT_MAX_AGE_S = 90 * 24 * 3600.0
VIDEO_IN_MAX_AGE_S = 3600.0
"""Live input nobody transcoded within an hour is of no use to a live viewer."""


def stream_configs(names: Names) -> dict[str, StreamConfig]:
    """By name. JOBS is a work queue (each job taken once); RESULTS and OUTCOMES expire by age;
    AUDIT keeps every signature the payment-signer made for 90 days. Every stream answers
    direct gets (one round trip to read the last message on a subject)."""
    configs = [
        StreamConfig(
            name=names.jobs_stream,
            subjects=[names.ai_jobs],
            retention=RetentionPolicy.WORK_QUEUE,
            storage=StorageType.FILE,
            allow_direct=True,
            duplicate_window=JOBS_DUPLICATE_WINDOW_S,
            max_age=JOBS_MAX_AGE_S,
        ),
        StreamConfig(
            name=names.results_stream,
            subjects=[names.results],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            allow_direct=True,
            max_age=RESULTS_MAX_AGE_S,
        ),
        StreamConfig(
            name=names.outcomes_stream,
            subjects=[names.outcomes],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            allow_direct=True,
            max_age=OUTCOMES_MAX_AGE_S,
        ),
        StreamConfig(
            name=names.audit_stream,
            subjects=[names.audit_signatures],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            allow_direct=True,
            max_age=AUDIT_MAX_AGE_S,
        ),
        StreamConfig(
            name=names.video_input_stream,
            subjects=[names.video_inputs],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            allow_direct=True,
            max_age=VIDEO_IN_MAX_AGE_S,
        ),
    ]
    return {config.name or "": config for config in configs}


async def declare_streams(js: JetStreamContext, names: Names) -> None:
    """Add each stream, or update it to the current config if it exists already."""
    for name, config in stream_configs(names).items():
        try:
            await js.stream_info(name)
        except NotFoundError:
            await js.add_stream(config)
        else:
            await js.update_stream(config)
