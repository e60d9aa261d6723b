"""Test sessions. `nox -s tests` is the command CI (.ci/run) and README.md use: the whole suite.

`nox -s fast` is the inner loop (every test not marked slow, under a minute on 2 cores); `nox -s lint` runs ruff.
"""

import os

import nox

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True

# The CPU wheel of torch 2.13.0; a bare `torch` would pull a multi-GB CUDA build. Override with TORCH_SPEC.
TORCH_SPEC = os.environ.get("TORCH_SPEC", "torch==2.13.0")


def _install(session):
    session.install(TORCH_SPEC)
    session.install("-e", ".[test]")


@nox.session
def tests(session):
    _install(session)
    session.run("pytest", *(session.posargs or ["-q"]))


@nox.session
def fast(session):
    _install(session)
    session.run("pytest", "-q", "-m", "not slow", *session.posargs)


@nox.session
def lint(session):
    session.install("ruff")
    session.run("ruff", "check", ".")
