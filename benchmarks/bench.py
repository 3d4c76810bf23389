"""ivpm against the raw installers and the published ivpm, side by side.

    python benchmarks/bench.py            # the full scenario, several runs per case
    python benchmarks/bench.py --quick    # every case once on a small scenario (CI)

The preparation step (untimed) builds a local wheelhouse (fixture wheels written directly plus a
few small real wheels downloaded once into a cache), local git repositories and, where it can,
a venv holding the published ``ivpm`` from PyPI, and the scale trees (git packages over four
levels of sub-projects, tiny flit_core projects). Timed commands never reach the network: every
installer runs with ``--no-index`` and the local wheelhouse, and with the machine's pip/uv
configuration taken out (``PIP_*``/``UV_*`` dropped, ``PIP_CONFIG_FILE=/dev/null``), the same for
ivpm and for the baselines. ``PYTHONDONTWRITEBYTECODE`` is removed so ivpm runs with bytecode
caching, as it does for users.

Results: a Markdown table on stdout and ``results.md``/``results.json`` in ``--output``
(default ``.bench/`` in the current directory). Ratios compare medians of one run; absolute
times depend on the machine. The exit status is non-zero only when a case fails to run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.helpers.gitrepos import GitRepo, make_repo, python_package_files  # noqa: E402
from tests.helpers.wheelhouse import (  # noqa: E402
    build_wheelhouse,
    hermetic_env,
    third_party_wheels,
)

#: Small real wheels from PyPI (downloaded once); the last one is the "add one dep" package.
REAL_WHEELS: tuple[str, ...] = ("six", "idna", "attrs", "iniconfig", "tomli-w")
ADDED_DEP = "tomli-w"
FIXTURE_DEPS: tuple[str, ...] = ("ivpmtest-alpha", "ivpmtest-beta")
SETUP_DEPS: tuple[str, ...] = ("setuptools", "wheel")
#: The build backend of the scale trees' packages (downloaded once, like REAL_WHEELS).
SCALE_SETUP_DEPS: tuple[str, ...] = ("flit-core",)
SCALE_LEVELS = 4


@dataclass
class Case:
    """One timed command and its samples (seconds)."""

    group: str
    name: str
    samples: list[float] = field(default_factory=list)
    baseline: str | None = None
    error: str | None = None
    note: str | None = None
    may_fail: bool = False  # the published ivpm: its failure is a result, not a bench failure
    peak_rss_kb: list[int] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        """The median sample, or None without samples."""
        return statistics.median(self.samples) if self.samples else None


@dataclass
class Bench:
    """The scenario's paths, environment and collected cases."""

    work: Path
    cache: Path
    wheelhouse: Path
    env: dict[str, str]
    runs: int
    cases: list[Case] = field(default_factory=list)
    counter: int = 0
    summary: list[str] = field(default_factory=list)  # lines printed after the table
    scale_runs: int | None = None  # runs of the scale, cache and sync cases (default: runs)

    def fresh_dir(self, prefix: str) -> Path:
        """A new empty directory under the work directory."""
        self.counter += 1
        path = self.work / f"{prefix}{self.counter}"
        path.mkdir(parents=True)
        return path


# -- running and timing -----------------------------------------------------------------------


class CommandFailed(RuntimeError):
    """A benchmarked command exited non-zero."""


def run(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float | None = None,
    rss_kb: list[int] | None = None,
) -> float:
    """Run ``argv`` and return its wall time; raise :class:`CommandFailed` on failure.

    ``timeout`` (seconds) ends the command's whole process group and raises
    :class:`CommandFailed` saying so. With ``rss_kb``, the peak resident set of the command's
    own process (not of its children) is appended to it, in KiB.
    """
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        if rss_kb is not None:
            # wait4 reports this one process's own peak, which RUSAGE_CHILDREN cannot.
            _pid, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            scale = 1024 if sys.platform == "darwin" else 1  # macOS reports bytes
            rss_kb.append(usage.ru_maxrss // scale)
        else:
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                raise CommandFailed(
                    f"$ {' '.join(argv)}\ndid not finish in {timeout:.0f} s"
                ) from None
        elapsed = time.perf_counter() - start
        if process.returncode != 0:
            out.seek(0)
            tail = out.read().strip().splitlines()[-15:]
            raise CommandFailed(
                f"$ {' '.join(argv)}\nexit {process.returncode}\n" + "\n".join(tail)
            )
    return elapsed


def measure(
    bench: Bench,
    case: Case,
    timed: Callable[[], float],
    *,
    runs: int | None = None,
) -> Case:
    """Collect ``runs`` samples of ``timed`` (which prepares, times and returns one sample)."""
    bench.cases.append(case)
    for _ in range(runs if runs is not None else bench.runs):
        try:
            case.samples.append(timed())
        except Exception as exc:
            case.error = str(exc) if isinstance(exc, CommandFailed) else traceback.format_exc()
            print(f"  ! {case.group} / {case.name}: failed\n{case.error}", file=sys.stderr)
            break
    if case.median is not None and not case.error:
        print(f"  {case.group} / {case.name}: median {case.median:.3f}s", file=sys.stderr)
    return case


_IVPM_UNDER_TEST: list[str] = []


def install_ivpm_under_test(work: Path) -> None:
    """Install this working tree (not editable, with the uv extra) into its own venv.

    Users run an installed ivpm; an editable install adds an import hook that costs tens of
    milliseconds per start, which would distort the no-op case.
    """
    venv = work / "ivpm-under-test"
    uv = uv_bin()
    repo = Path(__file__).resolve().parent.parent
    for argv in (
        [uv, "venv", "-q", "--python", sys.executable, str(venv)],
        [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), f"{repo}[uv]"],
    ):
        subprocess.run(argv, check=True, stdin=subprocess.DEVNULL)
    _IVPM_UNDER_TEST[:] = [str(venv / "bin" / "ivpm")]


def ivpm_argv() -> list[str]:
    """The ivpm command under test (installed by :func:`install_ivpm_under_test`)."""
    if not _IVPM_UNDER_TEST:
        raise RuntimeError("install_ivpm_under_test() was not called")
    return list(_IVPM_UNDER_TEST)


def uv_bin() -> str:
    """The uv binary the baselines use (the one ivpm would find first)."""
    try:
        import uv

        return uv.find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            raise SystemExit("bench: uv is needed (pip install 'ivpm[uv]')") from None
        return found


def timed_env(cache: Path) -> dict[str, str]:
    """The hermetic environment every timed command runs in."""
    env = hermetic_env(os.environ, uv_cache_dir=cache / "uv-cache")  # with bytecode caching
    env["PIP_CACHE_DIR"] = str(cache / "pip-cache")
    return env


# -- the scenario -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """The source repositories and PyPI requirements of the project under test."""

    sources: dict[str, str]  # name -> file:// URL (the root project's git deps)
    pypi: tuple[str, ...]
    fetch_urls: list[str]  # plain repositories for the fetch-scaling case
    sub_sources: dict[str, str]  # deps brought in by a source package's own ivpm.yaml


def make_scenario(root: Path, n_sources: int, n_fetch: int) -> Scenario:
    """Create the git repositories (untimed).

    ``n_sources`` root git deps: pyproject and setup.py kinds in turn, one C extension and one
    with its own ivpm.yaml (a git sub-dependency and a PyPI one).
    """
    repos = root / "repos"
    sub = make_repo(repos, "subdep", python_package_files("subdep", "subdep"))
    withsub_files = python_package_files("withsub", "withsub", deps=["subdep", "ivpmtest-gamma"])
    withsub_files["ivpm.yaml"] = (
        "package:\n"
        "  name: withsub\n"
        "  dep-sets:\n"
        "    - name: default-dev\n"
        "      deps:\n"
        f"        - name: subdep\n          url: {sub.url}\n          src: git\n"
        "        - name: ivpmtest-gamma\n          src: pypi\n"
    )
    sources = {
        "withsub": make_repo(repos, "withsub", withsub_files).url,
        "cext": make_repo(
            repos, "cext", python_package_files("cext", "cext", build="setup.py", c_ext=True)
        ).url,
    }
    for index in range(max(0, n_sources - len(sources))):
        name = f"src{index}"
        kind = "pyproject" if index % 2 == 0 else "setup.py"
        sources[name] = make_repo(repos, name, python_package_files(name, name, build=kind)).url
    fetch_urls = [
        make_repo(
            repos, f"fetch{index}", python_package_files(f"fetch{index}", f"fetch{index}")
        ).url
        for index in range(n_fetch)
    ]
    pypi = (*FIXTURE_DEPS, *(w for w in REAL_WHEELS if w != ADDED_DEP))
    return Scenario(sources, pypi, fetch_urls, {"subdep": sub.url})


def project_yaml(
    git: Mapping[str, str],
    pypi: Sequence[str],
    *,
    setup_deps: bool = True,
    name: str = "bench",
    setup: Sequence[str] = SETUP_DEPS,
    cache: bool = False,
) -> str:
    """An ivpm.yaml with ``git`` source deps, ``pypi`` deps and the setup-deps ``setup``.

    ``cache`` marks every git dep ``cache: true``.
    """
    lines = ["package:", f"  name: {name}"]
    if setup_deps and setup:
        lines += ["  setup-deps:", *(f"    - {dep}" for dep in setup)]
    lines += ["  dep-sets:", "    - name: default-dev", "      deps:"]
    for dep, url in git.items():
        lines += [f"        - name: {dep}", f"          url: {url}", "          src: git"]
        if cache:
            lines.append("          cache: true")
    for dep in pypi:
        lines += [f"        - name: {dep}", "          src: pypi"]
    if not git and not pypi:
        lines[-1] = "      deps: []"
    return "\n".join(lines) + "\n"


def new_project(bench: Bench, yaml_text: str) -> Path:
    """A fresh project directory holding ``yaml_text`` as ivpm.yaml."""
    root = bench.fresh_dir("proj")
    (root / "ivpm.yaml").write_text(yaml_text, encoding="utf-8")
    return root


def clone_sources(bench: Bench, urls: Mapping[str, str]) -> list[Path]:
    """Clone ``urls`` into a fresh directory (untimed) for a baseline's editable installs."""
    root = bench.fresh_dir("src")

    def clone(item: tuple[str, str]) -> Path:
        name, url = item
        subprocess.run(
            ["git", "clone", "-q", url, str(root / name)],
            check=True,
            env=bench.env,
            stdin=subprocess.DEVNULL,
        )
        return root / name

    with ThreadPoolExecutor(max_workers=parallel_jobs()) as pool:
        return list(pool.map(clone, urls.items()))


def parallel_jobs() -> int:
    """Four workers per CPU, at most 16: ivpm's default ``-j``, used by the by-hand baselines."""
    return min(16, 4 * (os.cpu_count() or 1))


# -- the scale trees --------------------------------------------------------------------------


@dataclass(frozen=True)
class Tree:
    """``size`` git source packages over :data:`SCALE_LEVELS` levels of sub-projects."""

    size: int
    levels: tuple[int, ...]  # packages per level, the root's deps first
    root: dict[str, str]  # the first level: name -> file:// URL (the root ivpm.yaml's deps)
    repos: dict[str, GitRepo]  # every package of the tree, by name
    cache: bool

    @property
    def urls(self) -> dict[str, str]:
        """Every package's URL, by name (the by-hand baseline clones them all)."""
        return {name: repo.url for name, repo in self.repos.items()}


def level_sizes(size: int, levels: int = SCALE_LEVELS) -> list[int]:
    """Split ``size`` packages over ``levels`` levels that grow geometrically from a few."""
    if size < levels:
        raise ValueError(f"a tree of {levels} levels needs at least {levels} packages")
    first = max(1, min(4, size // 5))
    low, high = 1.0, float(size)
    for _ in range(60):  # the growth factor r with first * (1 + r + ... + r^(levels-1)) = size
        mid = (low + high) / 2
        if first * sum(mid**k for k in range(levels)) < size:
            low = mid
        else:
            high = mid
    sizes = [first] + [max(1, round(first * low**k)) for k in range(1, levels - 1)]
    sizes.append(size - sum(sizes))
    return sizes


def flit_package_files(name: str, deps: Sequence[str]) -> dict[str, str]:
    """A minimal flit_core package ``name`` (module ``name``) requiring ``deps``."""
    requirements = ", ".join(f'"{dep}"' for dep in deps)
    return {
        f"{name}/__init__.py": f'"""Benchmark package {name}."""\n\nVALUE = "{name}"\n',
        "pyproject.toml": (
            "[build-system]\n"
            'requires = ["flit_core>=3.4"]\n'
            'build-backend = "flit_core.buildapi"\n\n'
            "[project]\n"
            f'name = "{name}"\n'
            'version = "0.1.0"\n'
            f'description = "benchmark package {name}"\n'
            f"dependencies = [{requirements}]\n"
        ),
    }


def make_tree(root: Path, size: int, *, cache: bool = False) -> Tree:
    """Create the git repositories of a tree of ``size`` packages (untimed).

    Package ``j`` of a level is a dep of package ``j % len(previous level)`` of the level above,
    in that package's ivpm.yaml and in its Python requirements. Leaves have no ivpm.yaml.
    """
    sizes = level_sizes(size)
    tag = f"t{size}{'c' if cache else ''}"
    names = [[f"{tag}l{level}p{j}" for j in range(n)] for level, n in enumerate(sizes)]
    repos_dir = root / "repos" / tag
    repos: dict[str, GitRepo] = {}
    for level in reversed(range(len(sizes))):
        children: dict[str, list[str]] = {name: [] for name in names[level]}
        if level + 1 < len(sizes):
            for j, child in enumerate(names[level + 1]):
                children[names[level][j % len(names[level])]].append(child)

        def build(name: str, kids: dict[str, list[str]] = children) -> GitRepo:
            files = flit_package_files(name, kids[name])
            if kids[name]:
                urls = {child: repos[child].url for child in kids[name]}
                files["ivpm.yaml"] = project_yaml(urls, (), name=name, setup=(), cache=cache)
            return make_repo(repos_dir, name, files)

        with ThreadPoolExecutor(max_workers=parallel_jobs()) as pool:
            repos.update(zip(names[level], pool.map(build, names[level]), strict=True))
    root_deps = {name: repos[name].url for name in names[0]}
    return Tree(size, tuple(sizes), root_deps, repos, cache)


# -- the cases --------------------------------------------------------------------------------


def ivpm_env(bench: Bench) -> dict[str, str]:
    """The timed environment plus ivpm's local-wheelhouse settings."""
    env = dict(bench.env)
    env["IVPM_NO_INDEX"] = "1"
    env["IVPM_FIND_LINKS"] = str(bench.wheelhouse)
    return env


def full_requirements(scenario: Scenario) -> list[str]:
    """Every PyPI requirement of the scenario (the root's, the sub-project's, setup-deps)."""
    return [*SETUP_DEPS, *scenario.pypi, "ivpmtest-gamma"]


def cold_cases(bench: Bench, scenario: Scenario, installer: str) -> None:
    """Cold ``ivpm update`` with ``installer`` against venv creation + one install command."""
    group = f"cold update ({installer})"
    yaml_text = project_yaml(scenario.sources, scenario.pypi)
    env = ivpm_env(bench)

    def ivpm_cold() -> float:
        project = new_project(bench, yaml_text)
        return run([*ivpm_argv(), "update", f"--py-{installer}"], cwd=project, env=env)

    uv = uv_bin()
    index = ["--no-index", "--find-links", str(bench.wheelhouse)]

    def raw_cold() -> float:
        # The clones are made untimed: the baseline gets its sources for free.
        folders = clone_sources(bench, {**scenario.sources, **scenario.sub_sources})
        root = bench.fresh_dir("raw")
        venv = root / "packages" / "python"
        python = venv / "bin" / "python"
        editables = [arg for folder in folders for arg in ("-e", str(folder))]
        if installer == "uv":
            create = [uv, "venv", "--seed", "-q", "--python", sys.executable, str(venv)]
            install = [uv, "pip", "install", "--python", str(python), *index]
        else:
            create = [sys.executable, "-m", "virtualenv", "-q", str(venv)]
            install = [str(python), "-m", "pip", "install", "-q", "--no-input", *index]
        install += ["--no-build-isolation", *full_requirements(scenario), *editables]
        return run(create, cwd=root, env=bench.env) + run(install, cwd=root, env=bench.env)

    base = f"raw: venv + one {installer} install"
    measure(bench, Case(group, base), raw_cold)
    measure(bench, Case(group, f"ivpm update --py-{installer}", baseline=base), ivpm_cold)


def noop_and_add_cases(bench: Bench, scenario: Scenario) -> None:
    """The no-op update against ``python -c pass``; adding one dep against installing it."""
    env = ivpm_env(bench)
    yaml_text = project_yaml(scenario.sources, scenario.pypi)
    project = new_project(bench, yaml_text)
    run([*ivpm_argv(), "update"], cwd=project, env=env)
    python = project / "packages" / "python" / "bin" / "python"

    group = "no-op update"
    floor = "python -c pass"
    measure(
        bench, Case(group, floor), lambda: run([sys.executable, "-c", "pass"], cwd=project, env=env)
    )
    noop_runs = max(bench.runs, 5) if bench.runs > 1 else 1
    # The first no-op after a change checks everything (the IVPM_NO_REPLAY=1 row); it records
    # its answer, and a repeat is answered from that record (the replayed row).
    full_env = {**env, "IVPM_NO_REPLAY": "1"}
    measure(
        bench,
        Case(group, "ivpm update (nothing changed, full check)", baseline=floor),
        lambda: run([*ivpm_argv(), "update"], cwd=project, env=full_env),
        runs=noop_runs,
    )
    run([*ivpm_argv(), "update"], cwd=project, env=env)  # the full check that records
    replayed = measure(
        bench,
        Case(group, "ivpm update (nothing changed, repeated: replayed)", baseline=floor),
        lambda: run([*ivpm_argv(), "update"], cwd=project, env=env),
        runs=noop_runs,
    )

    group = "add one PyPI dep (uv)"
    uv = uv_bin()
    index = ["--no-index", "--find-links", str(bench.wheelhouse)]
    added_yaml = project_yaml(scenario.sources, [*scenario.pypi, ADDED_DEP])

    def raw_add() -> float:
        sample = run(
            [uv, "pip", "install", "--python", str(python), *index, ADDED_DEP], cwd=project, env=env
        )
        run([uv, "pip", "uninstall", "--python", str(python), ADDED_DEP], cwd=project, env=env)
        return sample

    def ivpm_add() -> float:
        (project / "ivpm.yaml").write_text(added_yaml, encoding="utf-8")
        sample = run([*ivpm_argv(), "update"], cwd=project, env=env)
        (project / "ivpm.yaml").write_text(yaml_text, encoding="utf-8")
        run([*ivpm_argv(), "update"], cwd=project, env=env)
        return sample

    base = f"raw: uv pip install {ADDED_DEP}"
    alone = measure(bench, Case(group, base), raw_add)
    added = measure(bench, Case(group, f"ivpm update (+{ADDED_DEP})", baseline=base), ivpm_add)
    if added.median is not None and alone.median and replayed.median is not None:
        beyond = (added.median - replayed.median) / alone.median
        added.note = f"no-op + {beyond:.1f}x installing it alone (goal: 1.5x)"


def fetch_cases(bench: Bench, scenario: Scenario, sizes: Sequence[int]) -> None:
    """Fetch only (``--skip-py-install``) of N git deps, ``-j 1`` against the default."""
    env = ivpm_env(bench)
    for size in sizes:
        urls = {f"fetch{i}": url for i, url in enumerate(scenario.fetch_urls[:size])}
        yaml_text = project_yaml(urls, (), setup_deps=False)
        group = f"fetch {size} git deps"

        def fetch(jobs: Sequence[str], text: str = yaml_text) -> float:
            project = new_project(bench, text)
            return run([*ivpm_argv(), "update", "--skip-py-install", *jobs], cwd=project, env=env)

        serial = "ivpm update --skip-py-install -j 1"
        measure(bench, Case(group, serial), lambda: fetch(["-j", "1"]))
        measure(
            bench,
            Case(group, "ivpm update --skip-py-install (default -j)", baseline=serial),
            lambda: fetch([]),
        )


# -- the published ivpm -----------------------------------------------------------------------


def published_ivpm(cache: Path) -> tuple[Path | None, str]:
    """The published ivpm's executable (installed once into its own venv), or None and why."""
    venv = cache / "published-ivpm"
    exe = venv / "bin" / "ivpm"
    stamp = venv / ".bench-complete"
    if stamp.exists() and exe.exists():
        return exe, stamp.read_text(encoding="utf-8").strip()
    shutil.rmtree(venv, ignore_errors=True)
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "ivpm", "uv"],
    ]
    for argv in steps:
        completed = subprocess.run(argv, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            return None, "could not install it from PyPI: " + completed.stderr.strip()[-400:]
    version = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import importlib.metadata as m; print(m.version('ivpm'))",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=venv,
    ).stdout.strip()
    stamp.write_text(version + "\n", encoding="utf-8")
    return exe, version


def published_env(bench: Bench, exe: Path) -> dict[str, str]:
    """The timed environment for the published ivpm, pointed at the local wheelhouse."""
    env = dict(bench.env)
    # The published ivpm has no find-links option; pip and uv read these instead.
    env.update(
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(bench.wheelhouse),
        UV_NO_INDEX="1",
        UV_FIND_LINKS=str(bench.wheelhouse),
        PATH=f"{exe.parent}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def published_cases(bench: Bench, scenario: Scenario) -> None:
    """The published ivpm on the same scenario: cold update (uv) and the no-op update."""
    exe, version = published_ivpm(bench.cache)
    group = "published ivpm"
    if exe is None:
        bench.cases.append(Case(group, "(not run)", note=version))
        return
    env = published_env(bench, exe)
    yaml_text = project_yaml(scenario.sources, scenario.pypi)
    projects: list[Path] = []

    def cold() -> float:
        project = new_project(bench, yaml_text)
        projects.append(project)
        return run([str(exe), "update", "-a", "--py-uv"], cwd=project, env=env)

    ours = find_case(bench, "cold update (uv)", "ivpm update --py-uv")
    case = measure(
        bench, Case(group, f"ivpm {version}: update --py-uv (cold)", may_fail=True), cold
    )
    case.note = "ratio: ours / published"
    if case.error:
        case.note = "the published ivpm could not run the scenario"
        return
    noop = measure(
        bench,
        Case(group, f"ivpm {version}: update (nothing changed)", may_fail=True),
        lambda: run([str(exe), "update", "-a", "--py-uv"], cwd=projects[-1], env=env),
    )
    if ours is not None and ours.median:
        case.note = f"this ivpm: {ours.median:.3f}s"
    full = find_case(bench, "no-op update", "ivpm update (nothing changed, full check)")
    replayed = find_case(bench, "no-op update", "ivpm update (nothing changed, repeated: replayed)")
    if full is not None and full.median and replayed is not None and replayed.median:
        noop.note = f"this ivpm: {full.median:.3f}s full check, {replayed.median:.3f}s replayed"


# -- the scale trees' cases -------------------------------------------------------------------


def scale_group(size: int) -> str:
    """The group name of the scale cases of a tree of ``size`` packages."""
    return f"scale: {size} git packages"


SCALE_RAW = "raw: clones given, uv venv + setup-deps + one uv install"
SCALE_IVPM = "ivpm update --py-uv (cold)"


def scale_cases(
    bench: Bench, scenario: Scenario, trees: Sequence[Tree], *, published_up_to: int | None = None
) -> dict[int, Path]:
    """Per tree: the by-hand baseline, ivpm's cold update and the published ivpm's.

    The published ivpm runs only on trees of at most ``published_up_to`` packages, if given.

    Returns the project of ivpm's last cold update of each tree, by tree size.
    """
    env = ivpm_env(bench)
    uv = uv_bin()
    index = ["--no-index", "--find-links", str(bench.wheelhouse)]
    exe, version = published_ivpm(bench.cache)
    projects: dict[int, Path] = {}
    for tree in trees:
        group = scale_group(tree.size)
        yaml_text = project_yaml(tree.root, scenario.pypi, setup=SCALE_SETUP_DEPS)

        def raw(tree: Tree = tree) -> float:
            # The clones are made untimed: the baseline gets its sources for free.
            folders = clone_sources(bench, tree.urls)
            root = bench.fresh_dir("raw")
            venv = root / "packages" / "python"
            python = str(venv / "bin" / "python")
            editables = [arg for folder in folders for arg in ("-e", str(folder))]
            steps = [
                [uv, "venv", "--seed", "-q", "--python", sys.executable, str(venv)],
                [uv, "pip", "install", "--python", python, *index, *SCALE_SETUP_DEPS],
                [
                    *(uv, "pip", "install", "--python", python, *index, "--no-build-isolation"),
                    *scenario.pypi,
                    *editables,
                ],
            ]
            return sum(run(step, cwd=root, env=bench.env) for step in steps)

        ours = Case(group, SCALE_IVPM, baseline=SCALE_RAW)

        def cold(tree: Tree = tree, text: str = yaml_text, case: Case = ours) -> float:
            project = new_project(bench, text)
            projects[tree.size] = project
            argv = [*ivpm_argv(), "update", "--py-uv"]
            return run(argv, cwd=project, env=env, rss_kb=case.peak_rss_kb)

        measure(bench, Case(group, SCALE_RAW), raw, runs=bench.scale_runs)
        measure(bench, ours, cold, runs=bench.scale_runs)
        if ours.median is not None:
            ours.note = f"{1000 * ours.median / tree.size:.0f} ms per package"
        if published_up_to is not None and tree.size > published_up_to:
            continue
        if exe is None:
            bench.cases.append(Case(group, "published ivpm (not run)", note=version))
            continue
        timeout = max(60.0, 10 * (ours.median or 30.0))
        published = Case(
            group, f"ivpm {version}: update --py-uv (cold)", baseline=SCALE_RAW, may_fail=True
        )

        def cold_published(text: str = yaml_text, limit: float = timeout) -> float:
            project = new_project(bench, text)
            argv = [str(exe), "update", "-a", "--py-uv"]
            return run(argv, cwd=project, env=published_env(bench, exe), timeout=limit)

        measure(bench, published, cold_published, runs=bench.scale_runs)
        if ours.median is not None:
            published.note = f"this ivpm: {ours.median:.3f}s"
    scale_summary(bench, [tree.size for tree in trees])
    return projects


def scale_summary(bench: Bench, sizes: Sequence[int]) -> None:
    """Summary lines: time per package of the two largest trees, ivpm's peak memory."""
    if len(sizes) < 2:
        return
    small, large = sorted(sizes)[-2:]
    for name in (SCALE_IVPM, SCALE_RAW):
        found = [find_case(bench, scale_group(size), name) for size in (small, large)]
        medians = [case.median for case in found if case is not None and case.median is not None]
        if len(medians) != 2:
            continue
        per_small, per_large = medians[0] / small, medians[1] / large
        marginal = (medians[1] - medians[0]) / (large - small)
        bench.summary.append(
            f"- {name}: {1000 * per_small:.1f} ms per package at {small}, "
            f"{1000 * per_large:.1f} ms at {large} (ratio {per_large / per_small:.2f}; at most 1 "
            f"means growth at most linear); each package from {small} to {large} added "
            f"{1000 * marginal:.1f} ms."
        )
    largest = find_case(bench, scale_group(large), SCALE_IVPM)
    if largest is not None and largest.peak_rss_kb:
        bench.summary.append(
            f"- peak RSS of the ivpm process itself (uv and git are separate processes), cold "
            f"update of {large} packages: {max(largest.peak_rss_kb) / 1024:.0f} MB "
            f"(max over {len(largest.peak_rss_kb)} run(s))."
        )


def find_case(bench: Bench, group: str, name: str) -> Case | None:
    """The case named ``name`` in ``group``, if it ran."""
    return next((c for c in bench.cases if c.group == group and c.name == name), None)


def cache_cases(bench: Bench, scenario: Scenario, tree: Tree) -> None:
    """``cache: true`` deps: a first project's cold update, then a second project's.

    Each run starts from an empty cache folder (``IVPM_CACHE``) that the first project fills.
    The same pair again with ``--skip-py-install`` shows the fetch alone.
    """
    yaml_text = project_yaml(tree.root, scenario.pypi, setup=SCALE_SETUP_DEPS, cache=True)
    for label, flags in (("--py-uv", ["--py-uv"]), ("--skip-py-install", ["--skip-py-install"])):
        group = f"cache: true, {tree.size} packages, update {label}"
        filled: list[Path] = []

        def update(cache_dir: Path, flags: Sequence[str] = flags) -> float:
            env = {**ivpm_env(bench), "IVPM_CACHE": str(cache_dir)}
            project = new_project(bench, yaml_text)
            return run([*ivpm_argv(), "update", *flags], cwd=project, env=env)

        def first(filled: list[Path] = filled) -> float:
            filled.append(bench.fresh_dir("ivpm-cache"))
            return update(filled[-1])

        base = "first project (empty cache)"
        measure(bench, Case(group, base), first, runs=bench.scale_runs)
        second = measure(
            bench,
            Case(group, "second project (same deps, cache filled)", baseline=base),
            lambda filled=filled: update(filled.pop(0)),
            runs=bench.scale_runs,
        )
        value = ratio(second, bench.cases)
        if value:
            second.note = f"{1 / value:.1f}x faster than the first"


def sync_cases(bench: Bench, tree: Tree, project: Path) -> None:
    """``ivpm sync -n`` over a tree's checkouts against a parallel ``git fetch`` in each.

    Before every run (untimed), every tenth upstream repository gets one new commit, so
    both sides have something to fetch.
    """
    env = ivpm_env(bench)
    checkouts = sorted(path.parent for path in (project / "packages").glob("*/.git"))
    news = list(tree.repos.values())[::10]
    group = f"sync -n, {len(checkouts)} checkouts"

    def push_news() -> None:
        bench.counter += 1
        for repo in news:
            repo.commit({"NEWS": f"{bench.counter}\n"}, "news")

    def by_hand() -> float:
        push_news()
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=parallel_jobs()) as pool:
            fetch = ["git", "fetch", "--quiet"]
            list(pool.map(lambda path: run(fetch, cwd=path, env=bench.env), checkouts))
        return time.perf_counter() - start

    def sync() -> float:
        push_news()
        return run([*ivpm_argv(), "sync", "-n"], cwd=project, env=env)

    base = f"git fetch in each checkout, {parallel_jobs()} at a time"
    note = f"{len(news)} upstreams with a new commit"
    measure(bench, Case(group, base, note=note), by_hand, runs=bench.scale_runs)
    case = measure(bench, Case(group, "ivpm sync -n", baseline=base), sync, runs=bench.scale_runs)
    case.note = f"{len(news)} upstreams with a new commit per run"


# -- the plot ---------------------------------------------------------------------------------


def plot_scaling(bench: Bench, sizes: Sequence[int], dest: Path) -> str:
    """Plot time against tree size (this ivpm, the baseline, the published ivpm) into ``dest``.

    Returns a line saying what happened; never raises for a missing matplotlib.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "plot skipped: matplotlib is not installed"
    series: dict[str, list[tuple[int, float]]] = {}
    for size in sizes:
        for case in bench.cases:
            if case.group == scale_group(size) and case.median is not None and not case.error:
                label = {SCALE_IVPM: "ivpm (working tree)", SCALE_RAW: "by hand (uv)"}.get(
                    case.name, case.name.split(":")[0] + " (published)"
                )
                series.setdefault(label, []).append((size, case.median))
    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=100)
    for label, points in series.items():
        axes.plot(*zip(*points, strict=True), marker="o", label=label)
    axes.set_xlabel("git source packages (4 levels of sub-projects)")
    axes.set_ylabel("cold update, median seconds")
    axes.set_title("Cold update time against the number of source packages")
    axes.set_xlim(left=0)
    axes.set_ylim(bottom=0)
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    dest.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(dest)
    plt.close(figure)
    return f"plot written to {dest}"


def machine() -> str:
    """The machine and tool versions, for the results' header."""

    def version(argv: Sequence[str]) -> str:
        try:
            out = subprocess.run(list(argv), capture_output=True, text=True, check=False)
        except OSError:
            return "?"
        return (out.stdout or out.stderr).strip().splitlines()[0] if out.stdout else "?"

    pip = version([sys.executable, "-m", "pip", "--version"]).split(" from ")[0]
    return (
        f"Python {platform.python_version()}, {platform.platform()}, {os.cpu_count()} CPUs; "
        f"{version([uv_bin(), '--version'])}; {pip}; {version(['git', '--version'])}"
    )


# -- reporting --------------------------------------------------------------------------------


def ratio(case: Case, cases: Sequence[Case]) -> float | None:
    """``case``'s median over its baseline's median."""
    if case.baseline is None or case.median is None:
        return None
    base = next((c for c in cases if c.name == case.baseline and c.group == case.group), None)
    if base is None or not base.median:
        return None
    return case.median / base.median


def markdown(cases: Sequence[Case], header: str) -> str:
    """The results as a Markdown table."""
    rows = [
        header,
        "",
        "| case | command | runs | median (s) | min (s) | max (s) | ratio to baseline |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for case in cases:
        if case.error or not case.samples:
            why = "error: " + case.error.strip().splitlines()[-1] if case.error else case.note or ""
            why = why.replace("|", "\\|")
            rows.append(f"| {case.group} | {case.name} | 0 | - | - | - | {why} |")
            continue
        value = ratio(case, cases)
        shown = (
            f"{value:.2f}x" if value is not None else ("baseline" if case.baseline is None else "-")
        )
        if case.note:
            shown = f"{shown} ({case.note})" if value is not None else case.note
        rows.append(
            f"| {case.group} | {case.name} | {len(case.samples)} | {case.median:.3f} | "
            f"{min(case.samples):.3f} | {max(case.samples):.3f} | {shown} |"
        )
    return "\n".join(rows) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Build the scenario, run every case, write the table, the JSON file and the plot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every case once, small scenario")
    parser.add_argument("--runs", type=int, default=5, help="runs per case (default 5)")
    parser.add_argument(
        "--scale-runs", type=int, help="runs of the scale, cache and sync cases (default: --runs)"
    )
    parser.add_argument("--output", type=Path, default=Path(".bench"), help="results directory")
    parser.add_argument("--keep", action="store_true", help="keep the scenario directory")
    parser.add_argument(
        "--plot",
        type=Path,
        nargs="?",
        const=REPO_ROOT / "docs" / "scaling.png",
        help="also copy the scaling plot here (default docs/scaling.png); needs matplotlib",
    )
    args = parser.parse_args(argv)

    cache = Path(os.environ.get("IVPM_BENCH_CACHE") or Path.home() / ".cache" / "ivpm-bench")
    cache.mkdir(parents=True, exist_ok=True)
    runs = 1 if args.quick else args.runs
    scale_runs = 1 if args.quick else args.scale_runs
    n_sources, fetch_sizes = (4, (1, 3)) if args.quick else (8, (1, 10, 40))
    scale_sizes, cache_size = ((10, 20), 10) if args.quick else ((10, 100, 300), 100)

    print("bench: preparing (wheelhouse, git repositories, published ivpm)", file=sys.stderr)
    wheelhouse = build_wheelhouse(cache / "wheelhouse")
    for wheel in [*third_party_wheels(REAL_WHEELS), *third_party_wheels(SCALE_SETUP_DEPS)]:
        target = wheelhouse / wheel.name
        if not target.exists():
            shutil.copyfile(wheel, target)

    work = Path(tempfile.mkdtemp(prefix="ivpm-bench-"))
    try:
        scenario = make_scenario(work, n_sources, max(fetch_sizes))
        trees = [make_tree(work, size) for size in scale_sizes]
        cache_tree = make_tree(work, cache_size, cache=True)
        bench = Bench(work, cache, wheelhouse, timed_env(cache), runs, scale_runs=scale_runs)
        install_ivpm_under_test(work)
        # Warm the installers' caches once so every timed run sees the same (warm) state.
        run(
            [*ivpm_argv(), "update", "--py-pip"],
            cwd=new_project(bench, project_yaml(scenario.sources, scenario.pypi)),
            env=ivpm_env(bench),
        )
        for yaml_text in (
            project_yaml(scenario.sources, scenario.pypi),
            project_yaml(trees[0].root, scenario.pypi, setup=SCALE_SETUP_DEPS),
        ):
            run(
                [*ivpm_argv(), "update", "--py-uv"],
                cwd=new_project(bench, yaml_text),
                env=ivpm_env(bench),
            )
        for installer in ("uv", "pip"):
            cold_cases(bench, scenario, installer)
        noop_and_add_cases(bench, scenario)
        fetch_cases(bench, scenario, fetch_sizes)
        published_cases(bench, scenario)
        # --quick runs the (slow) published ivpm on the smallest tree only.
        limit = scale_sizes[0] if args.quick else None
        projects = scale_cases(bench, scenario, trees, published_up_to=limit)
        cache_cases(bench, scenario, cache_tree)
        if trees[-1].size in projects:
            sync_cases(bench, trees[-1], projects[trees[-1].size])
        args.output.mkdir(parents=True, exist_ok=True)
        plotted = plot_scaling(bench, scale_sizes, args.output / "scaling.png")
    finally:
        if args.keep:
            print(f"bench: scenario kept in {work}", file=sys.stderr)
        else:
            remove_tree(work)

    header = (
        f"{len(scenario.sources)} git source packages (+1 sub-dependency), "
        f"{len(full_requirements(scenario))} PyPI requirements, fetch sizes {list(fetch_sizes)}; "
        f"scale trees of {list(scale_sizes)} packages over {SCALE_LEVELS} levels "
        f"({', '.join('/'.join(map(str, t.levels)) for t in trees)} per level), cache tree of "
        f"{cache_size}; {runs} run(s) per case"
        + (f", {scale_runs} for the scale, cache and sync cases" if scale_runs else "")
        + f"; {machine()}"
    )
    table = markdown(bench.cases, header)
    if bench.summary:
        table += "\n" + "\n".join(bench.summary) + "\n"
    print(table)
    print(plotted, file=sys.stderr)
    if args.plot is not None and (args.output / "scaling.png").exists():
        args.plot.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(args.output / "scaling.png", args.plot)
        print(f"plot copied to {args.plot}", file=sys.stderr)
    (args.output / "results.md").write_text(table, encoding="utf-8")
    payload = {
        "header": header,
        "quick": args.quick,
        "summary": bench.summary,
        "cases": [
            {**asdict(c), "median": c.median, "ratio": ratio(c, bench.cases)} for c in bench.cases
        ],
    }
    (args.output / "results.json").write_text(
        json.dumps(payload, indent=2) + "\n", encoding="utf-8"
    )
    failed = [c for c in bench.cases if c.error and not c.may_fail]
    return 1 if failed else 0


def remove_tree(path: Path) -> None:
    """Remove ``path``, including the read-only trees of the ivpm cache entries in it."""

    def writable_and_retry(function: Callable[..., object], name: str, _exc: object) -> None:
        os.chmod(os.path.dirname(name), 0o755)
        if os.path.isdir(name):
            os.chmod(name, 0o755)
        function(name)

    shutil.rmtree(path, onerror=writable_and_retry)


if __name__ == "__main__":
    sys.exit(main())
