"""BYOC jobs (ai-api.md §5.3): find orchestrators offering the capability, sign and pay the
job, forward it, stream the container's answer back, pay for the seconds it ran."""
