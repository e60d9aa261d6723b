"""Test sessions. `nox -s tests` is the command CI (.ci/run) and README.md use."""

import os

import nox

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True

# The CPU wheel of torch 2.13.0; a bare `torch` would pull a multi-GB CUDA build. Override with TORCH_SPEC.
TORCH_SPEC = os.environ.get("TORCH_SPEC", "torch==2.13.0")


@nox.session
def tests(session):
    session.install(TORCH_SPEC)
    session.install("-e", ".[test]")
    session.run("pytest", *(session.posargs or ["-q"]))
