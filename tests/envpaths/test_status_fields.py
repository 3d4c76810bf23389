"""``ivpm status``: each package's paths and env, and the deps this ivpm does not install."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import Project
from tests.envpaths.conftest import Tree, plain_project

NPM_DEP = '        - name: left-pad\n          src: npm\n          version: "1.3.0"\n'


def status_json(project: Project) -> tuple[int, dict[str, Any]]:
    """``ivpm status --json``: the exit code and the report."""
    result = project.ivpm("status", "--json")
    return result.returncode, json.loads(result.stdout)


def test_json_has_each_packages_paths_and_env(fetched: tuple[Project, Tree]) -> None:
    project, _ = fetched
    code, report = status_json(project)
    assert code == 0, report
    assert report["unhandled"] == []
    assert report["paths"] == [
        {"kind": "export", "type": "lib-dirs", "path": str(project.root / "build")},
        {"kind": "export", "type": "include-dirs", "path": str(project.root / "include")},
    ]
    assert report["env"] == [
        {"name": "PATH", "kind": "path-prepend", "values": ["/opt/root/bin"]},
        {"name": "SHARED_ALL", "kind": "value", "values": ["root"]},
    ], "the package-level env only (env-sets are not package env)"
    rows = {row["name"]: row for row in report["deps"]}
    suba = rows["suba"]
    assert suba["paths"][0] == {
        "kind": "export",
        "type": "lib-dirs",
        "path": str(project.root / "packages" / "suba" / "build" / "lib"),
    }
    assert suba["env"][:2] == [
        {"name": "FROM_A", "kind": "value", "values": ["hello from a"]},
        {"name": "PATH", "kind": "path-prepend", "values": ["${IVPM_PACKAGES}/suba/bin"]},
    ], "values as written"
    assert [entry["type"] for entry in rows["subb"]["paths"]] == ["lib-dirs", "lib-dirs"]
    assert rows["cext"]["paths"] == [] and rows["cext"]["env"] == []
    assert all(row["unhandled"] is None for row in rows.values())


def test_npm_dep_is_a_problem_with_its_reason(fetched: tuple[Project, Tree]) -> None:
    project, _ = fetched
    yaml_file = project.root / "ivpm.yaml"
    original = yaml_file.read_text()
    yaml_file.write_text(original + NPM_DEP)
    lines = yaml_file.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "name: left-pad" in text)
    col = lines[line - 1].index("name: left-pad") + 1
    reason = "node packages are not installed by this ivpm; instead: npm install left-pad@1.3.0"
    try:
        code, report = status_json(project)
        assert code == 1
        assert report["unhandled"] == [
            {
                "name": "left-pad",
                "source": "npm",
                "file": str(yaml_file),
                "line": line,
                "col": col,
                "reason": reason,
            }
        ]
        rows = {row["name"]: row for row in report["deps"]}
        assert [p["kind"] for p in rows["left-pad"]["problems"]] == ["unhandled"]
        assert rows["left-pad"]["unhandled"]["reason"] == reason
        assert all(not row["problems"] for name, row in rows.items() if name != "left-pad")

        text = project.ivpm("status")
        assert text.returncode == 1
        (problem,) = [entry for entry in text.stdout.splitlines() if entry.endswith(reason)]
        assert problem.startswith(f"ivpm.yaml:{line}:{col}: ") and "'left-pad'" in problem
        row = next(entry for entry in text.stdout.splitlines() if entry.startswith("left-pad "))
        assert row.endswith("not installed by this ivpm (src: npm)")
        assert "1 dependency has problems: left-pad" in text.stderr
    finally:
        yaml_file.write_text(original)
    assert project.ivpm("status").returncode == 0


def test_local_ivpm_yaml_dep_is_not_reported_as_not_installed(tmp_path: Path) -> None:
    shared = tmp_path / "shared.yaml"
    shared.write_text(
        "package:\n  name: shared\n  paths:\n    export:\n      lib-dirs: [shared-lib]\n"
    )
    project = plain_project(
        tmp_path / "proj",
        f"""\
        package:
          name: usesfile
          dep-sets:
            - name: default-dev
              deps:
                - name: shared
                  src: ivpm.yaml
                  path: {shared}
        """,
    )
    code, report = status_json(project)
    assert code == 0, report
    (row,) = report["deps"]
    assert row["source"] == "ivpm.yaml" and row["problems"] == []
    assert row["paths"] == [
        {"kind": "export", "type": "lib-dirs", "path": str(tmp_path / "shared-lib")}
    ]
