"""Helpers shared by the test suites and the benchmark: databases, people, seeded households."""
