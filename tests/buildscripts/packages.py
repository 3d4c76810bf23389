"""Source packages whose build scripts were written for the published ivpm (2.x)."""

from __future__ import annotations

import textwrap

from tests.helpers.gitrepos import python_package_files


def _module(module: str) -> dict[str, str]:
    return {
        f"{module}/__init__.py": textwrap.dedent(
            f'''\
            """Test package {module}."""

            from importlib.metadata import version

            __version__ = version("{module.replace("_", "-")}")
            '''
        )
    }


def legacy_setup_requires_files(name: str, version: str) -> dict[str, str]:
    """A package with ``setup_requires=['ivpm']`` and a guarded ``ivpm.get_pkg_version``:
    its version comes from ``etc/ivpm.info`` only when ``import ivpm`` works at build time."""
    module = name.replace("-", "_")
    return {
        **_module(module),
        "etc/ivpm.info": f"name={name}\nversion={version}\n",
        "setup.py": textwrap.dedent(
            f"""\
            import os
            from setuptools import setup

            try:
                import ivpm
                version = ivpm.get_pkg_version(__file__)
            except ImportError:
                version = "0.0.1"

            setup(
                name="{name}",
                version=version,
                packages=["{module}"],
                setup_requires=["setuptools", "ivpm"],
            )
            """
        ),
    }


def ivpm_setup_files(name: str, version: str, *, extra: str = "") -> dict[str, str]:
    """A package built with ``from ivpm.setup import setup`` (no ``setup_requires``), whose
    ``setup.pre`` hook writes ``hook-ran`` beside setup.py; ``extra`` adds setup() keyword
    lines (indented, each ending in a newline)."""
    module = name.replace("-", "_")
    return {
        **_module(module),
        "etc/ivpm.info": f"version={version}\n",
        "setup.py": textwrap.dedent(
            f"""\
            import os

            import ivpm
            from ivpm.setup import setup

            HERE = os.path.dirname(os.path.abspath(__file__))


            def mark(_cmd):
                with open(os.path.join(HERE, "hook-ran"), "w") as handle:
                    handle.write("setup.pre")


            setup(
                name="{name}",
                version=ivpm.get_pkg_version(__file__),
                packages=["{module}"],
                ivpm_hooks={{"setup.pre": [mark]}},
            )
            """
        ).replace("\n)\n", f"\n{extra})\n"),
    }


def native_files(name: str, version: str) -> dict[str, str]:
    """A package with a C extension ``<module>._speedups`` whose setup.py has
    ``setup_requires=['ivpm']`` and uses ``ivpm.setup.setup`` when ``import ivpm`` works; its
    ``build.post`` hook writes ``build-post`` (the build command's class name) beside setup.py."""
    module = name.replace("-", "_")
    files = python_package_files(name, module, version, build="setup.py", c_ext=True)
    files["etc/ivpm.info"] = f"version={version}\n"
    files["setup.py"] = textwrap.dedent(
        f"""\
        import os
        from setuptools import Extension

        try:
            import ivpm
            from ivpm.setup import setup
            version = ivpm.get_pkg_version(__file__)
        except ImportError:
            from setuptools import setup
            version = "0.0.1"

        HERE = os.path.dirname(os.path.abspath(__file__))


        def post(cmd):
            with open(os.path.join(HERE, "build-post"), "w") as handle:
                handle.write(type(cmd).__name__)


        setup(
            name="{name}",
            version=version,
            packages=["{module}"],
            ext_modules=[Extension("{module}._speedups", ["{module}/_speedups.c"])],
            setup_requires=["ivpm>=2"],
            ivpm_hooks={{"build.post": [post]}},
        )
        """
    )
    return files
