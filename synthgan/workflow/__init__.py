"""End-to-end flows the CLI is a shell over: holdout and provenance, sample -> gate -> export."""
