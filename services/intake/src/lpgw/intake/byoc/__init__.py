"""BYOC (bring your own container) jobs at the door: `POST /process/request/{route}`
(ai-api.md §5.1)."""
