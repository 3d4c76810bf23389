"""ivpm against the raw installers and the published ivpm, side by side.

    python benchmarks/bench.py            # the full scenario, several runs per case
    python benchmarks/bench.py --quick    # every case once on a small scenario (CI)

The preparation step (untimed) builds a local wheelhouse (fixture wheels written directly plus a
few small real wheels downloaded once into a cache), local git repositories and, where it can,
a venv holding the published ``ivpm`` from PyPI. Timed commands never reach the network: every
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
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.helpers.gitrepos import make_repo, python_package_files  # noqa: E402
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


@dataclass
class Case:
    """One timed command and its samples (seconds)."""

    group: str
    name: str
    samples: list[float] = field(default_factory=list)
    baseline: str | None = None
    error: str | None = None
    note: str | None = None

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

    def fresh_dir(self, prefix: str) -> Path:
        """A new empty directory under the work directory."""
        self.counter += 1
        path = self.work / f"{prefix}{self.counter}"
        path.mkdir(parents=True)
        return path


# -- running and timing -----------------------------------------------------------------------


class CommandFailed(RuntimeError):
    """A benchmarked command exited non-zero."""


def run(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str]) -> float:
    """Run ``argv`` and return its wall time; raise :class:`CommandFailed` on failure."""
    start = time.perf_counter()
    completed = subprocess.run(
        list(argv),
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        tail = (completed.stdout + completed.stderr).strip().splitlines()[-15:]
        raise CommandFailed(f"$ {' '.join(argv)}\nexit {completed.returncode}\n" + "\n".join(tail))
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
    env = hermetic_env(os.environ, uv_cache_dir=cache / "uv-cache")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
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
    git: Mapping[str, str], pypi: Sequence[str], *, setup_deps: bool = True, name: str = "bench"
) -> str:
    """An ivpm.yaml with ``git`` source deps, ``pypi`` deps and the setup-deps."""
    lines = ["package:", f"  name: {name}"]
    if setup_deps:
        lines += ["  setup-deps:", *(f"    - {dep}" for dep in SETUP_DEPS)]
    lines += ["  dep-sets:", "    - name: default-dev", "      deps:"]
    for dep, url in git.items():
        lines += [f"        - name: {dep}", f"          url: {url}", "          src: git"]
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
    paths = []
    for name, url in urls.items():
        subprocess.run(
            ["git", "clone", "-q", url, str(root / name)],
            check=True,
            env=bench.env,
            stdin=subprocess.DEVNULL,
        )
        paths.append(root / name)
    return paths


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
    measure(
        bench,
        Case(group, "ivpm update (nothing changed)", baseline=floor),
        lambda: run([*ivpm_argv(), "update"], cwd=project, env=env),
        runs=max(bench.runs, 5) if bench.runs > 1 else 1,
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
    measure(bench, Case(group, base), raw_add)
    measure(bench, Case(group, f"ivpm update (+{ADDED_DEP})", baseline=base), ivpm_add)


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


def published_cases(bench: Bench, scenario: Scenario) -> None:
    """The published ivpm on the same scenario: cold update (uv) and the no-op update."""
    exe, version = published_ivpm(bench.cache)
    group = "published ivpm"
    if exe is None:
        bench.cases.append(Case(group, "(not run)", note=version))
        return
    env = dict(bench.env)
    # The published ivpm has no find-links option; pip and uv read these instead.
    env.update(
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(bench.wheelhouse),
        UV_NO_INDEX="1",
        UV_FIND_LINKS=str(bench.wheelhouse),
        PATH=f"{exe.parent}{os.pathsep}{env.get('PATH', '')}",
    )
    yaml_text = project_yaml(scenario.sources, scenario.pypi)
    projects: list[Path] = []

    def cold() -> float:
        project = new_project(bench, yaml_text)
        projects.append(project)
        return run([str(exe), "update", "-a", "--py-uv"], cwd=project, env=env)

    ours = next((c for c in bench.cases if c.name == "ivpm update --py-uv"), None)
    case = measure(bench, Case(group, f"ivpm {version}: update --py-uv (cold)"), cold)
    case.note = "ratio: ours / published"
    if case.error:
        case.note = "the published ivpm could not run the scenario"
        return
    noop = measure(
        bench,
        Case(group, f"ivpm {version}: update (nothing changed)"),
        lambda: run([str(exe), "update", "-a", "--py-uv"], cwd=projects[-1], env=env),
    )
    ours_noop = next((c for c in bench.cases if c.name == "ivpm update (nothing changed)"), None)
    for published, mine in ((case, ours), (noop, ours_noop)):
        if mine is not None:
            published.note = f"this ivpm: {mine.median:.3f}s" if mine.median else None


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
            why = (
                "error: " + (case.error or case.note or "").splitlines()[0]
                if case.error
                else (case.note or "")
            )
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
    """Build the scenario, run every case, write the table and the JSON file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every case once, small scenario")
    parser.add_argument("--runs", type=int, default=5, help="runs per case (default 5)")
    parser.add_argument("--output", type=Path, default=Path(".bench"), help="results directory")
    parser.add_argument("--keep", action="store_true", help="keep the scenario directory")
    args = parser.parse_args(argv)

    cache = Path(os.environ.get("IVPM_BENCH_CACHE") or Path.home() / ".cache" / "ivpm-bench")
    cache.mkdir(parents=True, exist_ok=True)
    runs = 1 if args.quick else args.runs
    n_sources, fetch_sizes = (4, (1, 3)) if args.quick else (8, (1, 10, 40))

    print("bench: preparing (wheelhouse, git repositories, published ivpm)", file=sys.stderr)
    wheelhouse = build_wheelhouse(cache / "wheelhouse")
    for wheel in third_party_wheels(REAL_WHEELS):
        target = wheelhouse / wheel.name
        if not target.exists():
            shutil.copyfile(wheel, target)

    work = Path(tempfile.mkdtemp(prefix="ivpm-bench-"))
    try:
        scenario = make_scenario(work, n_sources, max(fetch_sizes))
        bench = Bench(work, cache, wheelhouse, timed_env(cache), runs)
        install_ivpm_under_test(work)
        # Warm the installers' caches once so every timed run sees the same (warm) state.
        run(
            [*ivpm_argv(), "update", "--py-pip"],
            cwd=new_project(bench, project_yaml(scenario.sources, scenario.pypi)),
            env=ivpm_env(bench),
        )
        run(
            [*ivpm_argv(), "update", "--py-uv"],
            cwd=new_project(bench, project_yaml(scenario.sources, scenario.pypi)),
            env=ivpm_env(bench),
        )
        for installer in ("uv", "pip"):
            cold_cases(bench, scenario, installer)
        noop_and_add_cases(bench, scenario)
        fetch_cases(bench, scenario, fetch_sizes)
        published_cases(bench, scenario)
    finally:
        if args.keep:
            print(f"bench: scenario kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    header = (
        f"{len(scenario.sources)} git source packages (+1 sub-dependency), "
        f"{len(full_requirements(scenario))} PyPI requirements, fetch sizes {list(fetch_sizes)}; "
        f"{runs} run(s) per case; Python {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    table = markdown(bench.cases, header)
    print(table)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "results.md").write_text(table, encoding="utf-8")
    payload = {
        "header": header,
        "quick": args.quick,
        "cases": [
            {**asdict(c), "median": c.median, "ratio": ratio(c, bench.cases)} for c in bench.cases
        ],
    }
    (args.output / "results.json").write_text(
        json.dumps(payload, indent=2) + "\n", encoding="utf-8"
    )
    failed = [c for c in bench.cases if c.error and c.group != "published ivpm"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
