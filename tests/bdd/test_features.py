"""Every feature in features/ (run with ``--sim-url URL`` against a running simulator)."""

from pytest_bdd import scenarios

scenarios("../../features")
