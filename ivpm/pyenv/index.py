"""Package index settings: merged from environment, ivpm.yaml and command line, for pip and uv.

uv ignores pip's configuration files and ``PIP_*`` variables, so ivpm passes its own index
settings to either installer as explicit flags. The user's own pip or uv configuration is left
alone and still applies on top.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ivpm.project.model import PythonSettings

ENV_INDEX_URL = "IVPM_INDEX_URL"
ENV_EXTRA_INDEX_URL = "IVPM_EXTRA_INDEX_URL"
ENV_FIND_LINKS = "IVPM_FIND_LINKS"
ENV_NO_INDEX = "IVPM_NO_INDEX"

_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class IndexSettings:
    """Where packages come from; empty means the installer's defaults (PyPI).

    ``extra_index_urls`` and ``find_links`` are kept in priority order, highest first.
    """

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    pre: bool = False

    @classmethod
    def from_python_settings(
        cls, settings: PythonSettings, project_root: Path | None = None
    ) -> IndexSettings:
        """The settings of an ivpm.yaml; relative find-links paths are taken from its folder."""
        return cls(
            index_url=settings.index_url,
            extra_index_urls=tuple(settings.extra_index_urls),
            find_links=tuple(_absolute_location(f, project_root) for f in settings.find_links),
            no_index=settings.no_index,
            pre=settings.pre,
        )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> IndexSettings:
        """The settings of ``IVPM_INDEX_URL``, ``IVPM_EXTRA_INDEX_URL`` (space-separated),
        ``IVPM_FIND_LINKS`` (space-separated) and ``IVPM_NO_INDEX=1``."""
        env = os.environ if environ is None else environ
        return cls(
            index_url=env.get(ENV_INDEX_URL, "").strip() or None,
            extra_index_urls=tuple(env.get(ENV_EXTRA_INDEX_URL, "").split()),
            find_links=tuple(
                _absolute_location(f, None) for f in env.get(ENV_FIND_LINKS, "").split()
            ),
            no_index=env.get(ENV_NO_INDEX, "").strip().lower() in _TRUE,
        )

    @classmethod
    def merged(
        cls,
        python: PythonSettings | None = None,
        *,
        index_url: str | None = None,
        extra_index_urls: Iterable[str] | None = None,
        find_links: Iterable[str] | None = None,
        no_index: bool = False,
        pre: bool = False,
        project_root: Path | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> IndexSettings:
        """The effective settings from ``IVPM_*`` variables < ivpm.yaml < these options.

        The keyword arguments are the command-line options; see :func:`merge_index_settings`.
        """
        cli = cls(
            index_url=index_url or None,
            extra_index_urls=tuple(extra_index_urls or ()),
            find_links=tuple(find_links or ()),
            no_index=no_index,
            pre=pre,
        )
        return merge_index_settings(python, cli, project_root=project_root, environ=environ)

    def as_record(self) -> dict[str, Any]:
        """A JSON-ready form, for state records (equal settings give equal records)."""
        return {
            "index_url": self.index_url,
            "extra_index_urls": list(self.extra_index_urls),
            "find_links": list(self.find_links),
            "no_index": self.no_index,
            "pre": self.pre,
        }

    def overridden_by(self, other: IndexSettings) -> IndexSettings:
        """Merge ``other`` (higher priority) over these settings.

        ``other``'s index URL replaces this one when set; extra indexes and find-links are
        combined (``other``'s first, duplicates dropped); ``no_index`` and ``pre`` are on when
        either side turns them on.
        """
        return IndexSettings(
            index_url=other.index_url or self.index_url,
            extra_index_urls=_unique((*other.extra_index_urls, *self.extra_index_urls)),
            find_links=_unique((*other.find_links, *self.find_links)),
            no_index=self.no_index or other.no_index,
            pre=self.pre or other.pre,
        )

    @property
    def is_default(self) -> bool:
        """True when nothing is configured (the installer's own defaults apply)."""
        return self == IndexSettings()

    def pip_args(self) -> list[str]:
        """The settings as ``pip install`` options."""
        args: list[str] = []
        if self.no_index:
            args.append("--no-index")
        if self.index_url:
            args += ["--index-url", self.index_url]
        for url in self.extra_index_urls:
            args += ["--extra-index-url", url]
        for location in self.find_links:
            args += ["--find-links", location]
        if self.pre:
            args.append("--pre")
        return args

    def uv_args(self, environ: Mapping[str, str] | None = None) -> list[str]:
        """The settings as ``uv pip install`` options, with pip's semantics.

        ``--default-index``/``--index`` are uv's names for pip's ``--index-url`` and
        ``--extra-index-url``. pip picks the best version found on any index; uv by default
        takes each package from the first index that has it. With extra indexes ivpm asks uv
        for pip's behaviour (``--index-strategy unsafe-best-match``) so that both installers
        build the same environment, unless ``UV_INDEX_STRATEGY`` chooses otherwise (looked up
        in ``environ``, the installer's environment). find-links locations are merged with the
        index candidates by uv as by pip, so they need no strategy.
        """
        env = os.environ if environ is None else environ
        args: list[str] = []
        if self.no_index:
            args.append("--no-index")
        if self.index_url:
            args += ["--default-index", self.index_url]
        for url in self.extra_index_urls:
            args += ["--index", url]
        if self.extra_index_urls and not env.get("UV_INDEX_STRATEGY"):
            args += ["--index-strategy", "unsafe-best-match"]
        for location in self.find_links:
            args += ["--find-links", location]
        if self.pre:
            args.append("--prerelease=allow")
        return args


#: No index settings at all: the installer's defaults.
DEFAULT_INDEX = IndexSettings()


def merge_index_settings(
    python: PythonSettings | None = None,
    cli: IndexSettings | None = None,
    *,
    project_root: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> IndexSettings:
    """The effective index settings: ``IVPM_*`` variables < ivpm.yaml < command line.

    ``project_root`` is the folder of the ivpm.yaml, which relative find-links paths written
    there are taken from; relative paths from the environment or command line are taken from
    the working directory.
    """
    merged = IndexSettings.from_environ(environ)
    if python is not None:
        merged = merged.overridden_by(IndexSettings.from_python_settings(python, project_root))
    if cli is not None:
        cli = IndexSettings(
            index_url=cli.index_url,
            extra_index_urls=cli.extra_index_urls,
            find_links=tuple(_absolute_location(f, None) for f in cli.find_links),
            no_index=cli.no_index,
            pre=cli.pre,
        )
        merged = merged.overridden_by(cli)
    return merged


def _absolute_location(location: str, base: Path | None) -> str:
    """Make a local find-links path absolute; URLs (``scheme://``) are kept as they are."""
    if "://" in location:
        return location
    path = Path(os.path.expanduser(location))
    if not path.is_absolute():
        path = (base if base is not None else Path.cwd()) / path
    return os.path.normpath(path)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
