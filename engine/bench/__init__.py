"""``tokentui bench``: measure a running server (per-token latency and throughput under load).

A layer of its own, between the views and the measurements: it talks HTTP (httpx) to the one URL
it is given and turns what it saw into a results file that :mod:`engine.measure` reads like any
other format (``tokentui-bench``).

``protocol``  what is sent (OpenAI completions or chat, Ollama's ``/api/generate``) and how a
              stream's events are read (SSE, NDJSON): pure functions, no I/O
``client``    one streamed request, timed chunk by chunk; the server's model list
``settings``  what a run runs: levels, lengths, bounds, warm-up (checked)
``prompts``   generated to a length, or read from a file
``runner``    the levels: closed loop at a concurrency, or Poisson arrivals at a rate; warm-up,
              repeats, bounds, stop
``summary``   a level's numbers from its requests: percentiles, steady-state throughput,
              Little's law
``results``   the results file (JSON) and its schema
``hardware``  the local GPUs, through NVML when it is installed
"""
