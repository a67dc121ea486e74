"""The adversarial training loop."""
