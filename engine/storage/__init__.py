"""Files: the catalog (models and GPUs), presets, calibration profiles, Hugging Face configs, the
user folder and atomic writes. Everything that touches the disk is here (and the measured-results
readers in :mod:`engine.measure`)."""
