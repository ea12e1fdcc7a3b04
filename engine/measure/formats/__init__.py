"""The results formats tokentui reads, one module each; :mod:`engine.measure.detect` tells them
apart by their content."""

#: The formats read, by the name :attr:`Measurement.format` carries, with what identifies them.
FORMATS: dict[str, str] = {
    "seed-json": "the tokenomics seed's benchmark JSON (an object with 'metadata' and 'results')",
    "vllm-bench-serve": "'vllm bench serve --save-result' JSON (completed, request_throughput, "
    "output_throughput, mean_ttft_ms ...), one object or one per line",
    "llama-bench": "llama-bench -o json, -o jsonl or -o csv (n_prompt, n_gen, avg_ns, avg_ts ...)",
    "ollama": "an Ollama /api/generate or /api/chat response (eval_count, eval_duration, "
    "prompt_eval_count, prompt_eval_duration), or its streamed lines",
    "nim-csv": "NIM benchmark CSV (input_tokens, output_tokens, concurrency, TTFT_ms, ITL_ms, "
    "Throughput_tokens_per_s)",
    "tokentui-bench": "'tokentui bench --save' JSON (format tokentui-bench: settings, every "
    "request's chunk times, a summary per level)",
    "public-tsv": "the public-measurements table: tab-separated, one measured number a row "
    "(source_url, source_title, engine ... metric, value, unit, notes)",
}
ACCEPTED = "accepted: " + "; ".join(FORMATS.values())
