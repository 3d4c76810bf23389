"""The ivpm.yaml examples of the user documentation load, and match the JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from ivpm.project.loader import load_project
from ivpm.project.model import PackageType, Source
from ivpm.project.schema import schema_text

from .conftest import DATA

EXAMPLES = sorted(DATA.glob("*.yaml"))


def _schema_validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(schema_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_examples_exist() -> None:
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_loads(path: Path) -> None:
    project = load_project(path)
    assert project.name
    assert project.dep_sets


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_matches_schema(path: Path) -> None:
    validator = _schema_validator()
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    errors = [error.message for error in validator.iter_errors(document)]
    assert errors == []


def test_pure_python() -> None:
    project = load_project(DATA / "pure-python.yaml")
    assert project.name == "data-analyzer"
    assert project.default_dep_set == "default-dev"
    assert list(project.dep_sets) == ["default", "default-dev"]
    dev = project.dep_sets["default-dev"]
    assert [d.name for d in dev.deps] == ["pandas", "numpy", "pytest", "black", "mypy"]
    assert dev.deps[0].version == ">=2.0"
    assert all(d.src is Source.PYPI for d in dev.deps)
    assert dev.deps[0].location.line == 16
    assert dev.deps[0].location.col == 11


def test_mixed_sources() -> None:
    deps = {d.name: d for d in load_project(DATA / "mixed.yaml").dep_sets["default-dev"].deps}
    assert deps["torch"].src is Source.PYPI
    assert deps["custom-models"].src is Source.GIT
    assert deps["custom-models"].url == "https://github.com/org/models.git"
    assert deps["data-utils"].src is Source.DIR
    assert not deps["data-utils"].link


def test_native_extension_setup_deps() -> None:
    project = load_project(DATA / "native-extension.yaml")
    assert project.setup_deps == ("cython", "numpy")
    assert [loc.line for loc in project.setup_deps_locations] == [5, 6]
    assert project.setup_deps_location is not None
    assert project.setup_deps_location.line == 5


def test_prerelease_and_specifiers() -> None:
    deps = {d.name: d for d in load_project(DATA / "pypi-specifiers.yaml").dep_sets["default"].deps}
    assert deps["requests"].version is None
    assert deps["package"].version == ">=1.0.0a1"
    assert deps["pandas"].version == ">=1.5.0,<2.0"
    assert deps["compatible"].version == "~=1.2.3"


def test_source_packages() -> None:
    deps = {d.name: d for d in load_project(DATA / "source-packages.yaml").dep_sets["default"].deps}
    assert deps["my-package"].branch == "develop"
    assert deps["typed-package"].type is PackageType.PYTHON
    assert deps["my-library"].type is None
    assert deps["co-dev-lib"].src is Source.DIR
    assert deps["co-dev-lib"].link is True


def test_everything() -> None:
    project = load_project(DATA / "everything.yaml")
    assert project.setup_deps == ("setuptools", "my-build-plugin")
    base = {d.name: d for d in project.dep_sets["base"].deps}
    assert base["requests"].extras == ("socks", "security")
    assert base["my-build-plugin"].src is Source.GIT
    assert base["my-build-plugin"].tag == "v1.2"
    assert base["my-build-plugin"].depth == 1
    assert base["pinned"].commit == "0123abcd"
    assert base["pinned"].dep_set == "release"
    dev = {d.name: d for d in project.dep_sets["dev"].deps}
    assert project.dep_sets["dev"].uses == ("base",)
    assert dev["pytest"].extras == ("cov",)
    assert dev["local-tools"].src is Source.DIR
    assert dev["local-tools"].type is PackageType.RAW
    assert dev["linked"].link
    assert project.dep_sets["empty"].deps == ()
    actions = project.env_sets["project"].actions
    assert [(a.name, a.kind, a.values) for a in actions] == [
        ("PYTHONPATH", "path-prepend", ("${IVPM_PROJECT}/src",)),
        ("PATH", "path-append", ("${IVPM_PROJECT}/bin", "/opt/tools/bin")),
        ("MODE", "value", ("debug",)),
        ("SEARCH", "path", ("a", "b")),
    ]
    python = project.python
    assert python.index_url == "https://pypi.example.com/simple"
    assert python.extra_index_urls == ("https://extra.example.com/simple",)
    assert python.find_links == ("./wheelhouse",)
    assert python.no_index is False
    assert python.pre is True


@pytest.mark.parametrize(
    "document",
    [
        {"package": {"name": "p", "bogus": 1}},
        {
            "package": {
                "name": "p",
                "dep-sets": [{"name": "a", "deps": [{"name": "x", "src": "gti"}]}],
            }
        },
        {
            "package": {
                "name": "p",
                "dep-sets": [{"name": "a", "deps": [{"name": "x", "branch": "m"}]}],
            }
        },
        {
            "package": {
                "name": "p",
                "dep-sets": [{"name": "a", "deps": [{"name": "x", "link": "yes"}]}],
            }
        },
        {"package": {"name": "p", "dep-sets": [{"name": "a", "deps": [{"name": "../x"}]}]}},
        {"package": {"name": "p", "env-sets": [{"name": "e", "env": [{"name": "A"}]}]}},
        {"package": {"name": "p", "with": {"python": {"pre": "yes"}}}},
    ],
)
def test_schema_rejects_invalid(document: dict[str, Any]) -> None:
    validator = _schema_validator()
    assert list(validator.iter_errors(document))


def test_schema_text_is_json() -> None:
    schema = json.loads(schema_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
