"""What this ivpm does not do with a dep, and what the user can run instead.

Deps of kinds this ivpm does not install (node packages, FuseSoC cores, environment modules,
marketplace plugins, and an ivpm.yaml or pyproject.toml named by a remote URL) are loaded and
shown, never silently skipped: ``update`` installs everything else and
then fails with one line per such dep, written by :func:`unhandled_line`.
"""

from __future__ import annotations

from ivpm.project.model import Dep, Source

_NOT_DONE: dict[Source, tuple[str, str]] = {
    Source.NPM: ("node packages are not installed by this ivpm", "npm install {name}{at}"),
    Source.PACKAGE_JSON: (
        "package.json dependencies are not installed by this ivpm",
        "npm install, in the folder of {where}",
    ),
    Source.FUSESOC: (
        "FuseSoC cores are not fetched by this ivpm",
        "fusesoc library add / fusesoc fetch {vlnv}",
    ),
    Source.MODULE: (
        "environment modules are not loaded by this ivpm",
        "module load {module}",
    ),
    Source.MARKETPLACE: (
        "marketplace plugins are not installed by this ivpm",
        "install the plugins from {where} with the tool they belong to",
    ),
    Source.PYPROJECT: (
        "a remote pyproject.toml is not downloaded by this ivpm",
        "download {where} and name it with 'path:'",
    ),
    Source.IVPM_YAML: (
        "a remote ivpm.yaml is not downloaded by this ivpm",
        "download {where} and name it with 'path:'",
    ),
}


#: The file a dep of these kinds names when it gives neither ``url`` nor ``path``.
_DEFAULT_FILES = {Source.PYPROJECT: "pyproject.toml", Source.PACKAGE_JSON: "package.json"}


def unhandled_reason(dep: Dep) -> str:
    """``<what this ivpm does not do>; instead: <what to run>`` for ``dep``."""
    not_done, instead = _NOT_DONE.get(dep.src, ("this kind is not handled", "install it by hand"))
    options = dict(dep.options)
    text = instead.format(
        name=dep.name,
        at=f"@{dep.version}" if dep.version else "",
        where=dep.url or dep.path or _DEFAULT_FILES.get(dep.src, dep.name),
        vlnv=options.get("vlnv", dep.name),
        module=options.get("module", options.get("modulefile", dep.name)),
    )
    return f"{not_done}; instead: {text}"


def unhandled_line(dep: Dep) -> str:
    """``file:line:col: dep 'x' (src: npm) not installed: <reason>``: one line per dep."""
    what = f"dep '{dep.name}' (src: {dep.src.value}) not installed"
    return f"{dep.location}: {what}: {unhandled_reason(dep)}"
