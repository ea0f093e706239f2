"""Benchmark scenarios, run in this order. Each module has NAME, GOAL and run(bench) →
ScenarioResult; a scenario whose product code has not landed yet reports "skipped" with a
"not available yet: …" line instead of guessing."""

from bench.scenarios import export, importing, letters, mail, reading, reference, signing

# The reference first: it says how fast the machine is before the product is measured on it.
SCENARIOS = [reference, importing, mail, signing, letters, reading, export]
