"""The version of sklstm (read by the package metadata and by saved models)."""

__version__ = "0.1.0"
