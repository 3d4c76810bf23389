"""Running nox sessions inside the project's ``packages/python`` (needs the ``nox`` extra).

A session declared with :func:`session` (or one that calls :func:`use` first) gets no venv of
its own from nox. Instead ivpm brings ``packages/python`` up to date, by running
``python -m ivpm update`` with the interpreter nox runs on (so under the workspace lock, and a
no-op when nothing changed), and the session continues with:

- ``VIRTUAL_ENV``, ``PATH`` (the venv's ``bin`` first), ``IVPM_PROJECT``, ``IVPM_PACKAGES``
  and the env settings of the project's tree (the dependencies' ``env``, then ivpm.yaml's
  ``env`` and env-sets) in ``session.env``, as ``ivpm activate`` would set them;
- ``session.run("python", ...)``, ``session.run("pytest", ...)`` and other bare program names
  looked up in the venv's ``bin`` first (``session.bin`` is that folder);
- ``session.install(...)`` installing into the venv through ivpm's installer (pip or uv)
  while holding the workspace lock, see :func:`install`.

nox never owns ``packages/python``: the sessions use ``venv_backend="none"``, so nox neither
creates nor deletes an environment for them. Importing :mod:`ivpm` never imports nox; this
module does.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, overload

import nox
import nox.virtualenv

from ivpm import layout
from ivpm.errors import IvpmError

if TYPE_CHECKING:
    from ivpm.project.model import Project

    # For type checkers an IvpmSession is a nox.Session: it offers all of its API, so a
    # noxfile can annotate its sessions with nox.Session and rebind the object use() returns.
    # At run time it wraps the nox session instead (composition, see IvpmSession).
    _SessionBase = nox.Session
else:
    _SessionBase = object

__all__ = ["IvpmSession", "install", "session", "use"]

_INSTALLERS = ("pip", "uv")


@dataclass(frozen=True)
class _Target:
    """Where a session's environment lives and how ivpm builds it."""

    project_dir: Path
    installer: str | None

    @property
    def project_file(self) -> Path:
        return layout.project_file(self.project_dir)

    @functools.cached_property
    def project(self) -> Project:
        """The project's ivpm.yaml, loaded on first use (a failed load is tried again)."""
        from ivpm.project.loader import load_project

        return load_project(self.project_file)

    @functools.cached_property
    def venv_dir(self) -> Path:
        return layout.venv_dir(self.project_dir, self.project.deps_dir)


class IvpmSession(_SessionBase):
    """A nox session running inside ``packages/python``: what :func:`use` returns.

    It wraps the :class:`nox.Session` nox handed to the session function and delegates every
    attribute it does not define itself (``posargs``, ``env``, ``log``, ``error``, ``notify``,
    ``chdir``, ``create_tmp``, ``name``...) to it, so ``session.env`` is the very mapping nox
    passes to the commands it runs. What it adds or changes:

    - :meth:`run`, :meth:`run_install` and :meth:`run_always` look a bare program name
      (``"python"``, ``"pytest"``) up in the environment's ``bin`` first, then leave it to nox,
      which searches its own ``PATH``;
    - :meth:`install` installs into ``packages/python`` through ivpm (see :func:`install`);
    - :attr:`bin`/:attr:`bin_paths` are the environment's ``bin`` folder, :attr:`project_dir`
      and :attr:`venv_dir` where the project and its environment are.

    It is not a subclass of :class:`nox.Session` at run time (type checkers see it as one).
    """

    __slots__ = ("_nox_session", "_target")

    def __init__(self, base: nox.Session, target: _Target) -> None:
        self._nox_session = base
        self._target = target

    def __getattr__(self, name: str) -> Any:
        # Only called for names this class does not define. Private names are never passed
        # on: they are nox's internals (and asking for them must not recurse before __init__).
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._nox_session, name)

    def __dir__(self) -> list[str]:
        public = (name for name in dir(self._nox_session) if not name.startswith("_"))
        return sorted({*super().__dir__(), *public})

    def __repr__(self) -> str:
        return f"<IvpmSession {self.name!r} in {self.venv_dir}>"

    @property
    def project_dir(self) -> Path:
        """The directory holding ivpm.yaml."""
        return self._target.project_dir

    @property
    def venv_dir(self) -> Path:
        """The project's environment, ``<project>/packages/python``."""
        return self._target.venv_dir

    @property
    def bin_paths(self) -> list[str]:
        """The environment's ``bin`` folder: bare program names are looked up there first."""
        return [str(self.venv_dir / "bin")]

    @property
    def bin(self) -> str:
        """The environment's ``bin`` folder."""
        return self.bin_paths[0]

    def run(self, *args: str | os.PathLike[str], **kwargs: Any) -> Any:
        """:meth:`nox.Session.run`, with bare program names found in the environment first."""
        return self._nox_session.run(*self._resolve(args), **kwargs)

    def run_install(self, *args: str | os.PathLike[str], **kwargs: Any) -> Any:
        """:meth:`nox.Session.run_install`, with program names resolved like :meth:`run`."""
        return self._nox_session.run_install(*self._resolve(args), **kwargs)

    def run_always(self, *args: str | os.PathLike[str], **kwargs: Any) -> Any:
        """:meth:`nox.Session.run_always`, with program names resolved like :meth:`run`."""
        return self._nox_session.run_always(*self._resolve(args), **kwargs)

    def install(self, *args: str, **kwargs: Any) -> None:
        """Install ``args`` into ``packages/python`` through ivpm (see :func:`install`).

        nox's keyword arguments (``silent``, ``env``...) are accepted and ignored.
        """
        del kwargs
        install(self, *args)

    def _resolve(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        """``args`` with a bare program name replaced by its path in the environment's bin.

        nox resolves the program of a ``venv_backend="none"`` session on the ``PATH`` of the
        nox process itself (``session.env`` only reaches the child), so the environment's
        programs must be given to it as paths. Anything else is left to nox: paths, names not
        in the environment (found on nox's ``PATH``), an empty call (nox's error).
        """
        if not args or not isinstance(args[0], (str, os.PathLike)):
            return args
        program = os.fspath(args[0])
        if not program or os.path.dirname(program):
            return args
        found = shutil.which(program, path=self.bin)
        return args if found is None else (found, *args[1:])


def use(
    session: nox.Session,
    *,
    installer: str | None = None,
    dep_set: str | None = None,
    project: str | os.PathLike[str] | None = None,
    update: bool = True,
    ivpm_args: Sequence[str] = (),
) -> IvpmSession:
    """Make ``session`` run inside ``packages/python`` and return the session to use from now on.

    ``installer`` is ``"pip"`` or ``"uv"`` (default: ivpm's choice); ``dep_set`` selects the
    dependency set; ``project`` is the project directory (default: the nearest ivpm.yaml above
    the noxfile's folder). With ``update`` (the default) ``ivpm update`` runs first, under the
    workspace lock; it does nothing when the environment is current. ``ivpm_args`` are added to
    that command line (e.g. ``["-v"]`` or ``["--force-py-install"]``).

    The session must have been declared with ``venv_backend="none"`` (:func:`session` does that).
    Call the returned object's methods, not the original session's.
    """
    if isinstance(session, IvpmSession):
        return session
    backend = _venv_backend(session)
    if backend != "none":
        session.error(
            f"ivpm: session {session.name} has a nox virtualenv ({backend}); "
            "declare it with @ivpm.nox.session or @nox.session(venv_backend='none') so it runs "
            "in packages/python"
        )
    if installer is not None and installer not in _INSTALLERS:
        session.error(f"ivpm: unknown installer '{installer}' (use pip or uv)")
    target = _Target(_project_dir(session, project), installer)
    if update:
        argv = [sys.executable, "-m", "ivpm", "-p", str(target.project_dir), "update"]
        if installer is not None:
            argv.append(f"--py-{installer}")
        if dep_set is not None:
            argv += ["-d", dep_set]
        session.run(*argv, *ivpm_args, external=True)
    elif not layout.venv_python(target.venv_dir).exists():
        session.error(f"ivpm: {target.venv_dir} does not exist; run `ivpm update` first")
    _activate(session, target, dep_set)
    return IvpmSession(session, target)


@overload
def session(func: Callable[..., Any], /) -> Any: ...


@overload
def session(
    func: None = None,
    /,
    *,
    installer: str | None = None,
    dep_set: str | None = None,
    project: str | os.PathLike[str] | None = None,
    update: bool = True,
    ivpm_args: Sequence[str] = (),
    **nox_kwargs: Any,
) -> Callable[[Callable[..., Any]], Any]: ...


def session(
    func: Callable[..., Any] | None = None,
    /,
    *,
    installer: str | None = None,
    dep_set: str | None = None,
    project: str | os.PathLike[str] | None = None,
    update: bool = True,
    ivpm_args: Sequence[str] = (),
    **nox_kwargs: Any,
) -> Any:
    """Declare a nox session that runs inside ``packages/python``: ``@ivpm.nox.session``.

    Works like ``@nox.session`` (its keyword arguments, such as ``name``, ``tags`` or
    ``requires``, pass through) with ``venv_backend="none"``; the function receives the
    :class:`IvpmSession` that :func:`use` returns. The options are those of :func:`use`. A
    session parametrized over ``installer`` or ``dep_set`` (``@nox.parametrize("installer",
    ["pip", "uv"])``) uses the parameter's value when the option is not given here.
    """
    backend = nox_kwargs.pop("venv_backend", "none")
    if backend not in ("none", None):
        raise TypeError(
            f"ivpm.nox.session runs in packages/python and cannot use venv_backend={backend!r}"
        )
    if func is None:
        return functools.partial(
            session,
            installer=installer,
            dep_set=dep_set,
            project=project,
            update=update,
            ivpm_args=ivpm_args,
            **nox_kwargs,
        )

    @functools.wraps(func)
    def run_in_ivpm_env(nox_session: nox.Session, **params: Any) -> Any:
        ivpm_session = use(
            nox_session,
            installer=installer if installer is not None else params.get("installer"),
            dep_set=dep_set if dep_set is not None else params.get("dep_set"),
            project=project,
            update=update,
            ivpm_args=ivpm_args,
        )
        return func(ivpm_session, **params)

    return nox.session(venv_backend="none", **nox_kwargs)(run_in_ivpm_env)


def install(
    session: nox.Session,
    *args: str,
    installer: str | None = None,
    project: str | os.PathLike[str] | None = None,
) -> None:
    """Install requirements into ``packages/python`` through ivpm's installer and lock.

    ``args`` are requirement strings (``"pytest>=8"``) and ``-e PATH`` for editable folders,
    which are built like ivpm's source packages (no build isolation). The index settings are
    those ``ivpm update`` uses (ivpm.yaml over the ``IVPM_*`` variables). When every
    requirement is installed at a matching version and every folder is installed editable from
    that folder, no installer starts (changed build files of such a folder are not noticed).
    Packages installed this way are not recorded by ivpm: ``ivpm update`` leaves them alone.
    To make them part of the environment for everyone, list them in a dep-set of ivpm.yaml.
    """
    if isinstance(session, IvpmSession):
        target = session._target
        if installer is not None:
            target = _Target(target.project_dir, installer)
    else:
        target = _Target(_project_dir(session, project), installer)
    if not args:
        session.error("ivpm: install() needs at least one requirement")
    requirements, editable = _split_install_args(session, args)
    if not layout.venv_python(target.venv_dir).exists():
        session.error(
            f"ivpm: {target.venv_dir} does not exist; run `ivpm update` (or use "
            "@ivpm.nox.session) first"
        )
    from ivpm.pyenv.extra import install_extra

    try:
        install_extra(
            target.project_dir,
            requirements,
            editable,
            installer=target.installer,
            environ=_outer_env(session),
            say=session.log,
            project=target.project,
        )
    except IvpmError as error:
        _fail(session, error)


def _split_install_args(session: nox.Session, args: Sequence[str]) -> tuple[list[str], list[str]]:
    requirements: list[str] = []
    editable: list[str] = []
    words = iter(args)
    for word in words:
        if word in ("-e", "--editable"):
            folder = next(words, None)
            if folder is None:
                session.error(f"ivpm: {word} needs a folder")
            editable.append(str(Path(folder).absolute()))
        elif word.startswith("--editable="):
            editable.append(str(Path(word.partition("=")[2]).absolute()))
        elif word.startswith("-"):
            session.error(
                f"ivpm: install() takes requirements and -e FOLDER, not '{word}'; list other "
                "needs in a dep-set of ivpm.yaml"
            )
        else:
            requirements.append(word)
    return requirements, editable


def _project_dir(session: nox.Session, project: str | os.PathLike[str] | None) -> Path:
    if project is not None:
        directory = Path(project).absolute()
        if not layout.project_file(directory).is_file():
            session.error(f"ivpm: no {layout.PROJECT_FILE} in {directory}")
        return directory
    found = layout.find_project_file(Path.cwd())
    if found is None:
        session.error(f"ivpm: no {layout.PROJECT_FILE} in {Path.cwd()} or any directory above it")
    return found.parent


def _venv_backend(session: nox.Session) -> str:
    """The environment backend nox gave ``session``: ``"none"`` when nox made none."""
    backend = getattr(session, "venv_backend", None)  # nox >= 2024.4.15
    if isinstance(backend, str):
        return backend
    env = session.virtualenv  # nox 2024.3.2 has no Session.venv_backend yet
    if isinstance(env, nox.virtualenv.PassthroughEnv):
        return "none"
    return str(getattr(env, "venv_backend", type(env).__name__))


def _outer_env(session: nox.Session) -> dict[str, str]:
    """The environment nox starts the session's commands with (nox's own plus ``session.env``)."""
    env = dict(os.environ)
    for key, value in session.env.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _activate(session: nox.Session, target: _Target, dep_set: str | None = None) -> None:
    """Put the activated environment (as ``ivpm activate`` builds it) into ``session.env``.

    The env settings are those of the whole tree of ``dep_set`` (default: the project's): the
    dependencies' package-level ``env`` first, then the root's ``env`` and env-sets.
    """
    from ivpm.options import dep_set_names
    from ivpm.pyenv.activation import activation_env
    from ivpm.pyenv.tree_env import tree_env_sets

    base = _outer_env(session)
    try:
        project = target.project
        env_sets = tree_env_sets(
            project,
            layout.packages_dir(target.project_dir, project.deps_dir),
            dep_sets=() if dep_set is None else dep_set_names([dep_set]),
        )
    except IvpmError as error:
        _fail(session, error)
    activated = activation_env(
        base, project_dir=target.project_dir, venv_dir=target.venv_dir, env_sets=env_sets
    )
    for key in base.keys() - activated.keys():
        session.env[key] = None
    for key, value in activated.items():
        if base.get(key) != value:
            session.env[key] = value


def _fail(session: nox.Session, error: IvpmError) -> NoReturn:
    session.error("ivpm: " + error.render())
