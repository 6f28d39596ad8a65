"""Demo data: a realistic, reproducible Swedish customer base for Omilon AB's register."""

from dataskydd.demo.generator import DemoSummary, generate_demo

__all__ = ["DemoSummary", "generate_demo"]
