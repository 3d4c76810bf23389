"""Options ivpm passes to every ``uv pip install``.

``--link-mode copy``: uv's default on Linux hardlinks files from its global cache into the
environment, so editing an installed file in place (a debugging print in site-packages) also
edits the cached copy; a later ``--reinstall`` then brings the edited file back, and every other
environment built from that cache gets it too (astral-sh/uv#10579). Copying keeps
``packages/python`` independent of the cache, as pip's installs are, so ``--force-py-install``
really repairs an environment. It also avoids uv's warning when the cache lives on another
filesystem. A user who sets ``UV_LINK_MODE`` gets that mode instead.

Pre-releases (:func:`uv_prerelease_options`): pip follows PEP 440, where a requirement whose
specifier names a pre-release (``>=25.0rc1``) admits that package's pre-releases, and the
highest matching version wins. uv 0.12 and later prefer a final release for such a requirement
(``>=25.0rc1,<=26.0,!=26.0`` gives 25.0 where pip gives 26.0rc3), so ivpm names each such
package with ``--prerelease-package NAME=allow`` (uv 0.12.1 and later). Before 0.12, uv's
default already admitted them as pip does. Both installers take a pre-release, without being
asked, when no final release matches at all.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from packaging.specifiers import Specifier

#: The first uv with ``--prerelease-package``.
PRERELEASE_PACKAGE_SINCE = (0, 12, 1)

_UV_VERSION = re.compile(r"^uv (\d+)\.(\d+)\.(\d+)")


def uv_install_options(
    environ: Mapping[str, str] | None = None, *, link_mode: str = "copy"
) -> list[str]:
    """Options for ``uv pip install`` in the given process environment (default: ivpm's);
    ``link_mode`` unless the user's ``UV_LINK_MODE`` says otherwise."""
    env = os.environ if environ is None else environ
    options = ["--color", "never"]
    if not env.get("UV_LINK_MODE"):
        options += ["--link-mode", link_mode]
    return options


def prerelease_names(requirements: Iterable[str]) -> list[str]:
    """The canonical names of ``requirements`` that admit pre-releases by PEP 440.

    That is, whose specifier has a clause other than ``!=`` naming a pre-release
    (``>=25.0rc1``, ``<=2.0b1``, ``==1.0a2``, ``~=3.1rc1``), as pip decides. Lines that are
    not PEP 508 requirements (an editable folder, say) are skipped.
    """
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    names: list[str] = []
    for line in requirements:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        name = canonicalize_name(requirement.name)
        if any(_names_prerelease(spec) for spec in requirement.specifier) and name not in names:
            names.append(name)
    return names


def _names_prerelease(spec: Specifier) -> bool:
    """PEP 440 as pip 26 reads it (packaging 26), whatever packaging ivpm runs with."""
    from packaging.version import InvalidVersion, Version

    if spec.operator in ("!=", "===") or spec.version.endswith(".*"):
        return False
    try:
        return Version(spec.version).is_prerelease
    except InvalidVersion:
        return False


@functools.lru_cache(maxsize=8)
def uv_version(uv_bin: str) -> tuple[int, int, int] | None:
    """``uv --version`` of ``uv_bin`` as numbers; ``None`` when it cannot be told."""
    try:
        output = subprocess.run(
            [uv_bin, "--version"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            stdin=subprocess.DEVNULL,
        ).stdout
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    match = _UV_VERSION.match(output.strip())
    if match is None:
        return None
    return int(match[1]), int(match[2]), int(match[3])


def uv_prerelease_options(
    uv_bin: str,
    requirements: Iterable[str],
    *,
    pre: bool,
    environ: Mapping[str, str] | None = None,
) -> list[str]:
    """``--prerelease-package NAME=allow`` for each requirement that admits pre-releases.

    So uv picks what pip picks for them (see the module's docstring). Nothing with ``pre``
    (``--prerelease=allow`` covers every package), when ``UV_PRERELEASE`` is set in
    ``environ`` (the user's choice stands), when no requirement names a pre-release (then no
    process is started), or with a uv older than :data:`PRERELEASE_PACKAGE_SINCE`.
    """
    env = os.environ if environ is None else environ
    if pre or env.get("UV_PRERELEASE"):
        return []
    names = prerelease_names(requirements)
    if not names:
        return []
    version = uv_version(uv_bin)
    if version is None or version < PRERELEASE_PACKAGE_SINCE:
        return []
    return [arg for name in names for arg in ("--prerelease-package", f"{name}=allow")]
