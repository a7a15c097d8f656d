"""Models that pre-annotate tasks: the built-in speech detector and users' own functions."""
