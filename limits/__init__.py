"""Typed limits in plain Python, without Django: units and their conversion (`units`),
the notation staff type and reports print (`notation`), and which side's limit is
stricter (`compare`). `standards.alignment` adapts the portal's models to it."""
