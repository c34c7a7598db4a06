"""Knows orchestrators: probes, prices, scores; answers who should do a job."""
