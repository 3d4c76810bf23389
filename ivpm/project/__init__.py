"""ivpm.yaml: loading (``loader``), dep-set selection (``depsets``), resolution (``resolve``).

Submodules are imported directly; this package imports nothing so start-up stays fast.
"""
