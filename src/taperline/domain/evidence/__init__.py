"""The evidence library and the claim checker (pure: no files, no network, no clock)."""
