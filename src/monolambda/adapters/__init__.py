"""Concrete implementations of the domain's ports (SDKs, the operating system)."""
