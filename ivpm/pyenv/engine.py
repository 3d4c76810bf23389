"""The install engine: wanted state -> changes -> ordered batches -> apply -> record.

:func:`wanted_state` turns a resolution into the requirements ``packages/python`` should hold;
:func:`~ivpm.pyenv.state.diff_states` compares them with the state record; :class:`InstallEngine`
applies the changes of one phase (the setup-deps, then everything else) in batches that follow
the dependency levels, and advances the record after each batch that succeeds, so a failed or
interrupted update is retried by the next one. :func:`install_batch` is the one place that
turns a batch of requirements into an installer call; ``ivpm build`` and ``ivpm.nox`` use it too.

Nothing here reads options or prints: the sessions decide, the engine does.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ivpm.errors import ConfigError, SessionFailure
from ivpm.project.names import canonical_name
from ivpm.pyenv import state as records
from ivpm.pyenv.state import Changes, EnvState, Requirement, build_digest

if TYPE_CHECKING:
    from ivpm.lockfile import LockData
    from ivpm.project.model import Dep, Resolution, ResolvedDep
    from ivpm.pyenv.index import IndexSettings
    from ivpm.pyenv.installer import Installer

Batch = Sequence[Requirement]


def requirement_of(resolved: ResolvedDep, *, setup: bool) -> Requirement:
    """What installing one resolved dep means: a PyPI line, a wheel URL, or a source folder.

    A source folder ivpm cannot write (an entry of the shared cache, which is read-only) is
    installed non-editable, from its real path, so a new cache entry means a reinstall; the
    build runs on a temporary copy (see :func:`install_batch`).
    """
    dep = resolved.dep
    extras = tuple(dep.extras)
    extra_text = f"[{','.join(extras)}]" if extras else ""
    if dep.is_wheel:
        name, url = wheel_reference(dep)
        return Requirement(
            name=canonical_name(name),
            line=f"{name}{extra_text} @ {url}",
            extras=extras,
            setup=setup,
        )
    if dep.is_source:
        assert resolved.path is not None
        path = resolved.path.absolute()
        read_only = is_read_only(path)
        editable = dep.editable and not read_only
        line = os.path.realpath(path) if read_only else str(path)
        if not editable and extras:
            line += extra_text
        return Requirement(
            name=canonical_name(dep.name),
            line=line,
            editable=editable,
            extras=extras,
            digest=build_digest(path),
            setup=setup,
        )
    return Requirement(
        name=canonical_name(dep.name),
        line=f"{dep.name}{extra_text}{dep.version or ''}",
        extras=extras,
        setup=setup,
    )


def is_read_only(path: Path) -> bool:
    """True when ``path`` (links followed) is a folder sealed read-only (no write bit, as a
    cache entry is) or one this process cannot write. The mode is checked too, since root
    may write anywhere."""
    real = os.path.realpath(path)
    try:
        mode = os.stat(real).st_mode
    except OSError:
        return False
    return stat.S_ISDIR(mode) and (not mode & 0o222 or not os.access(real, os.W_OK))


def wheel_reference(dep: Dep) -> tuple[str, str]:
    """The distribution name (from the file name) and the URL of a wheel dep.

    A ``src: file`` path, or a plain path, is made absolute against the folder of the
    ivpm.yaml that declared it and given as a ``file://`` URL.
    """
    from urllib.parse import unquote, urlsplit

    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    assert dep.url is not None
    url = dep.url
    if "://" not in url:
        base = dep.declared_in.parent if dep.declared_in is not None else Path.cwd()
        url = (base / Path(url).expanduser()).absolute().as_uri()
    filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    try:
        name = str(parse_wheel_filename(filename)[0])
    except InvalidWheelFilename:
        raise ConfigError(
            f"dep '{dep.name}': {filename!r} is not a wheel file name",
            dep.location,
            hint="a wheel is named NAME-VERSION(-BUILD)-PYTHON-ABI-PLATFORM.whl",
        ) from None
    return name, url


def wanted_state(
    resolution: Resolution, *, index: IndexSettings, lock: LockData | None = None
) -> EnvState:
    """What the environment should hold for ``resolution``: setup-deps (with the source
    packages' build requirements) first, then every Python dep in dependency order.

    A build requirement named ``ivpm`` is ivpm's build-script support
    (:func:`~ivpm.pyenv.support_dist.support_requirement`), unless the dep-set lists ``ivpm``
    itself; build requirements the dep-set lists are installed as their dep entries say.
    """
    from ivpm.pyenv.buildreqs import build_requirements
    from ivpm.pyenv.support_dist import NAME as SUPPORT_NAME
    from ivpm.pyenv.support_dist import support_requirement

    requirements: dict[str, Requirement] = {}
    for name in resolution.setup_deps:
        requirement = requirement_of(resolution.deps[name], setup=True)
        requirements[requirement.name] = requirement
    declared = {canonical_name(name) for name in resolution.deps}
    for build_name, line in build_requirements(resolution):
        if build_name == SUPPORT_NAME:
            requirement = support_requirement()
        else:
            requirement = Requirement(name=build_name, line=line, setup=True)
        if requirement.name not in declared and requirement.name not in requirements:
            requirements[requirement.name] = requirement
    for level in resolution.levels:
        for name in level:
            resolved = resolution.deps[name]
            if resolved.is_python:
                requirement = requirement_of(resolved, setup=False)
                requirements.setdefault(requirement.name, requirement)
    settings: dict[str, Any] = {"index": index.as_record()}
    if lock is not None:
        settings["lock"] = hashlib.sha256(repr(lock).encode()).hexdigest()[:16]
    return EnvState(settings=settings, requirements=requirements)


def phase_of(changes: Changes, *, setup: bool) -> Changes:
    """The part of ``changes`` one phase applies: the setup-deps (``setup``), or everything
    else plus the removals."""
    return Changes(
        install=tuple(r for r in changes.install if r.setup == setup),
        reinstall=tuple(r for r in changes.reinstall if r.setup == setup),
        remove=() if setup else changes.remove,
    )


def ordered_batches(
    changes: Changes, wanted: EnvState, resolution: Resolution, *, setup: bool
) -> list[list[Requirement]]:
    """The installer calls of one phase, in order.

    Setup-deps keep their declared order, consecutive PyPI ones sharing a call; the rest go
    level by level, each level's PyPI requirements in one call and its source packages in the
    next.
    """
    todo = {r.name for r in (*changes.install, *changes.reinstall)}
    if setup:
        return _runs([r for r in wanted.requirements.values() if r.setup and r.name in todo])
    batches: list[list[Requirement]] = []
    for level in resolution.levels:
        names = [canonical_name(name) for name in level]
        in_level = [wanted.requirements[n] for n in names if n in todo and n in wanted.requirements]
        pypi = [r for r in in_level if not r.is_source]
        sources = [r for r in in_level if r.is_source]
        batches.extend(batch for batch in (pypi, sources) if batch)
    return batches


def _runs(requirements: Sequence[Requirement]) -> list[list[Requirement]]:
    """Consecutive requirements of the same kind (PyPI or editable) share one batch."""
    batches: list[list[Requirement]] = []
    for requirement in requirements:
        if batches and batches[-1][0].is_source == requirement.is_source:
            batches[-1].append(requirement)
        else:
            batches.append([requirement])
    return batches


def install_batch(
    installer: Installer,
    batch: Batch,
    *,
    index: IndexSettings,
    reinstall: Iterable[str] = (),
    constraints: Sequence[str] = (),
) -> None:
    """One installer call for ``batch``: PyPI lines as given, source folders editable and
    built without isolation (so they see the setup-deps); names in ``reinstall`` are
    reinstalled even when satisfied. ivpm's build-script support is installed from the wheel
    it writes into the environment (see :func:`~ivpm.pyenv.support_dist.prepare_batch`)."""
    from ivpm.pyenv.support_dist import prepare_batch

    batch, constraints = prepare_batch(batch, installer.venv_dir, constraints)
    again = set(reinstall)
    with _writable_copies(batch) as lines:
        installer.install(
            [lines[r.name] for r in batch if not r.editable],
            editable=[editable_target(r) for r in batch if r.editable],
            index=index,
            no_build_isolation=any(r.is_source for r in batch),
            reinstall=[r.line if r.editable else r.name for r in batch if r.name in again],
            constraints=constraints,
        )


@contextmanager
def _writable_copies(batch: Batch) -> Iterator[dict[str, str]]:
    """Each non-editable requirement's installer argument; a read-only source folder is
    copied to a temporary folder first, since building writes into the source tree."""
    import tempfile

    from ivpm.cache.seal import copy_writable

    lines = {r.name: r.line for r in batch}
    read_only: list[tuple[str, Path, str]] = []  # name, folder, extras suffix ("[a,b]" or "")
    for requirement in batch:
        if requirement.is_source and not requirement.editable:
            folder, _, extras = requirement.line.partition("[")
            if is_read_only(Path(folder)):
                read_only.append((requirement.name, Path(folder), f"[{extras}" if extras else ""))
    if not read_only:
        yield lines
        return
    with tempfile.TemporaryDirectory(prefix="ivpm-build-") as scratch:
        for name, source, suffix in read_only:
            copy = Path(scratch) / name
            copy_writable(source, copy)
            lines[name] = str(copy) + suffix
        yield lines


def editable_target(requirement: Requirement) -> str:
    """The ``-e`` argument of an editable requirement: its folder, with extras."""
    if requirement.extras:
        return f"{requirement.line}[{','.join(requirement.extras)}]"
    return requirement.line


def describe_batch(batch: Batch, reinstall: Iterable[str] = ()) -> str:
    """``pkg>=1 -e srcpkg`` for the log; reinstalls are marked ``(reinstall)``."""
    again = set(reinstall)
    labels = []
    for requirement in batch:
        label = f"-e {Path(requirement.line).name}" if requirement.editable else requirement.line
        labels.append(label + (" (reinstall)" if requirement.name in again else ""))
    return " ".join(labels)


class InstallEngine:
    """Brings one environment from its recorded state to the wanted one, phase by phase.

    ``recorded`` is the state record as read at the start of the run; the engine keeps it
    current as batches succeed. ``installed_editable`` collects the source packages
    (re)installed. What to change comes from ``diff_states(wanted, recorded)``, computed by
    the caller once per run.
    """

    def __init__(
        self,
        *,
        venv_dir: Path,
        installer: Installer,
        resolution: Resolution,
        wanted: EnvState,
        recorded: EnvState,
        index: IndexSettings,
        constraints: Sequence[str] = (),
        backend: str = "",
        log: logging.Logger | None = None,
    ) -> None:
        self.venv_dir = venv_dir
        self.installer = installer
        self.resolution = resolution
        self.wanted = wanted
        self.recorded = recorded
        self.index = index
        self.constraints = tuple(constraints)
        self.backend = backend
        self.log = log or logging.getLogger("ivpm")
        self.installed_editable: set[str] = set()

    def apply(self, changes: Changes, *, setup: bool) -> None:
        """Uninstall what was dropped, then install the phase's batches; record each success.

        An installer failure is raised as :class:`SessionFailure`, with notes pointing at the
        ivpm.yaml entries a version conflict involves; the record keeps what succeeded.
        """
        if changes.remove:
            self._remove(changes.remove)
        reinstall = {r.name for r in changes.reinstall}
        for batch in ordered_batches(changes, self.wanted, self.resolution, setup=setup):
            self.log.info("installing %s", describe_batch(batch, reinstall))
            try:
                install_batch(
                    self.installer,
                    batch,
                    index=self.index,
                    reinstall=reinstall,
                    constraints=self.constraints,
                )
            except SessionFailure as failure:
                from ivpm.pyenv.conflicts import with_requested_here

                deps = [resolved.dep for resolved in self.resolution.deps.values()]
                raise with_requested_here(failure, deps) from None
            self._record(self.recorded.with_installed(batch))
            self.installed_editable.update(r.name for r in batch if r.editable)
        if not setup:
            self._record(replace(self.recorded, settings=self.wanted.settings))

    def _remove(self, names: Sequence[str]) -> None:
        from ivpm.pyenv.distributions import removable_distributions, still_required

        dists = removable_distributions(
            self.venv_dir, [self.recorded.requirements[n] for n in names]
        )
        needed = still_required(self.venv_dir, dists)
        for name, owner in needed.items():
            self.log.info("keeping %s: no longer listed, but %s requires it", name, owner)
        dists = [name for name in dists if name not in needed]
        if dists:
            self.log.info("uninstalling %s", ", ".join(dists))
            self.installer.uninstall(dists)
        self._record(self.recorded.without(names))

    def _record(self, state: EnvState) -> None:
        self.recorded = replace(state, installer=self.installer.kind, backend=self.backend)
        records.save_state(self.venv_dir, self.recorded)
