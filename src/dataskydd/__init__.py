"""dataskydd: a company's privacy policy made true in software."""

__version__ = "0.1.0"
