"""tokentui's engine: a first-principles model of LLM inference time, memory and cost.

Pure Python and numpy; it never imports a UI library. Layers, lowest first (each imports only
those below it; the contracts in pyproject.toml check it):

``engine.physics``   specs, counts, the roofline, memory, the step cost, the static batch, sweeps
``engine.scenario``  the scenario (a deployment under a workload), its loose input and resolver,
                     the tables of realistic factors and engine settings
``engine.storage``   files: the catalog, presets, calibration profiles, the user folder
``engine.measure``   measured results: importers, the predictor table, compare, calibration
``engine.bench``    measuring a running server: the streaming client, the levels, the results file
``engine.views``     plain data and text for people: every JSON contract, tables, the app's view
                     model
``engine.cli``       the command line
"""

__version__ = "0.1.0"
