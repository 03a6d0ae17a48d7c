"""One module per rule family; each exposes `evaluate(facts) -> list[Finding]`."""
