"""Networks (nn.Modules only) and their output heads."""
