"""Test and benchmark infrastructure that runs real components on loopback (not imported by the crawler)."""
