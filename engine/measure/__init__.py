"""Measured results: the importers (one module per format), the predictor table that meets them
with the physics, per-file scenarios, comparison and calibration."""
