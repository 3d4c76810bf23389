"""``paths``: print the ``paths`` the packages of the tree declare, for build scripts."""

from __future__ import annotations

import json

from ivpm import options as opt
from ivpm.context import Session
from ivpm.sessions import session

KIND = opt.value(
    "-k", "--kind", help="paths: only paths of this kind (e.g. export)", metavar="KIND"
)
TYPE = opt.value(
    "-t", "--type", help="paths: only paths of this type (e.g. lib-dirs)", metavar="TYPE"
)


@session(
    name="paths",
    writes=False,
    needs_project=True,
    options=[opt.DEP_SET, opt.DEFINE, KIND, TYPE, opt.JSON],
)
def paths(s: Session) -> None:
    """Print the paths the packages declare under 'paths:' (kind -> type -> folders).

    One absolute path per line, each once: the dependencies' first (those already under
    packages/, dependencies before dependents), the root project's last. `-k KIND` and
    `-t TYPE` select (`ivpm paths -k export -t lib-dirs`); `--json` lists every entry with the
    package, kind and type declaring it. Reads ivpm.yaml and packages/ only: no network, no
    writes. Python build scripts can call ivpm.paths.query(project_dir, kind, type) instead.
    """
    from ivpm.paths import tree_paths, unique_paths

    kind = s.option(KIND)
    path_type = s.option(TYPE)
    entries = tree_paths(
        s.project,
        s.packages_dir,
        kind=kind,
        type=path_type,
        dep_sets=s.context.dep_sets_requested,
    )
    if s.option(opt.JSON):
        print(json.dumps({"paths": [entry.as_json() for entry in entries]}, indent=2))
        return
    for path in unique_paths(entries):
        print(path)
    if not entries:
        wanted = " ".join(
            f"{label} '{name}'"
            for label, name in (("kind", kind), ("type", path_type))
            if name is not None
        )
        s.log.info("no paths declared%s", f" of {wanted}" if wanted else "")
