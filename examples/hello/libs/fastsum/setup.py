"""A package with one C extension module."""

from __future__ import annotations

from setuptools import Extension, setup

setup(
    name="fastsum",
    version="0.1.0",
    ext_modules=[Extension("fastsum", sources=["fastsum.c"])],
)
