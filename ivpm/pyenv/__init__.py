"""Creating and filling ``packages/python``.

Venv backends, the installer choice, the installers, the state record and the install engine.
"""
