"""The package version, in a module of its own so code inside clerkmock can read it without importing the
package root (whose lazy `ClerkMock` export would make every such import part of a cycle)."""

__version__ = "0.1.0"  # single source: pyproject.toml reads it (tool.setuptools.dynamic)
