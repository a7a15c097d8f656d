"""Loading: sources into candidate tasks, validated, hashed, segmented, pre-annotated, stored."""
