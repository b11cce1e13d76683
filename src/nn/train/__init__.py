"""The training loop, outside the model: epochs, mini-batches, callbacks, safeguards, checkpoints."""
