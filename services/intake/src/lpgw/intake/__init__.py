"""Public HTTP API: validates requests and turns them into jobs."""
