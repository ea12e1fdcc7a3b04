"""The physics of inference: specs, parameter and FLOP counts, the roofline, memory, the cost of a
step, the static batch, sweeps and cost. Pure numpy: no files, no argument parsing, no UI; every
function takes a :class:`~engine.physics.deployment.Deployment` (or plain specs) and arrays."""
