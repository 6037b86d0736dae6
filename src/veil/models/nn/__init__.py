"""Torch pieces shared by the neural models: span heads, blocks, conditional vectors, the training loop."""
