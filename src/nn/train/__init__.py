"""The training loop, kept outside the model: epochs, mini-batches, callbacks, safeguards and
checkpoints."""
