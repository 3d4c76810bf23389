"""The JSON Schema describes the keys of the published ivpm that the loader accepts.

Each document below is checked twice: against ``ivpm.schema.json`` and by the loader (the
root file, read strictly), so the two cannot drift apart on these keys.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from ivpm.errors import ConfigError
from ivpm.project.loader import load_project
from ivpm.project.schema import schema_text

PACKAGE_KEYS = """
$schema: https://example.com/ivpm.schema.json
package:
  name: soc-top
  version: 2.1.0
  description: A system on chip
  doc: |
    Longer documentation.
  license: Apache-2.0
  homepage: https://example.com
  documentation: https://example.com/docs
  maintainers: [someone@example.com]
  type: python
  provides: [python, hdl]
  deps-mode: hierarchical
  submodules: {recursive: true}
  dep-defaults: {git: {depth: 1}}
  deps-dir: deps
  vars:
    uvm_version: "1.2"
    fast: true
  env:
    - name: FLAGS
      value: [-O2, -g]
      description: compiler flags
  paths:
    export:
      description: what users compile against
      lib-dirs: [src, src/hdl]
      incdirs: include
  with:
    python:
      venv: uv
      system-site-packages: true
      pre-release: true
      index-url: https://pypi.example.com/simple
    env:
      - {name: PATH, path-prepend: "${IVPM_PACKAGES}/tools/bin"}
    fusesoc: {libraries: [cores]}
  default-dep-set: default-dev
  dep-sets:
    - name: default
      doc: runtime deps
      kind: python
      deps-mode: flatten
      default-dep-set: release
      with: {python: {}}
      deps:
        - name: pyyaml
          pypi: true
          version: 6.0.1
        - name: requests
          version: ">=2.31"
          type: python
    - name: default-dev
      uses: default
      deps:
        - name: pytest
  env-sets:
    - name: project
      description: the project's variables
      env:
        - {name: SOC_HOME, value: "${IVPM_PROJECT}"}
"""

SOURCE_KINDS = """
package:
  name: kinds
  dep-sets:
    - name: default
      deps:
        - name: lib
          url: https://github.com/org/lib
          branch: main
          anonymous: true
          ssh: false
          cache: true
          submodules: false
          deps: skip
          patches: [fixes/lib.patch]
          type: {python: {editable: false, extras: [tests]}}
          agents: {skip: true}
          description: a co-developed library
        - name: local-tools
          url: ../tools
          link: true
          type: [raw]
        - name: uvm
          url: https://example.com/uvm-${{uvm_version}}.tar.gz
          unpack: true
          sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
        - name: local-archive
          url: file:///opt/archives/thing.zip
        - name: asset
          src: url
          url: https://example.com/download?id=7
        - name: verilator
          src: gh-rls
          url: https://github.com/verilator/verilator
          version: latest
          prerelease: false
          source: true
          file: verilator-${{ivpm_platform}}.tar.gz
        - name: requirements
          src: pyproject.toml
          path: tools/pyproject.toml
          include: [dependencies]
        - name: shared
          src: ivpm.yaml
          path: shared/ivpm.yaml
          dep-set: dev
        - name: left-pad
          src: npm
          version: ^1.3.0
          dev: true
          optional: false
        - name: web
          src: package.json
          path: web/package.json
        - name: generators
          src: fusesoc
          vlnv: fusesoc:utils:generators
        - name: gcc
          src: module
          module: gcc/13
          modulefile: /etc/modulefiles
          root: /opt/gcc
          resolve-root: true
        - name: plugins
          src: marketplace
          url: https://example.com/market.git
          plugins: [lint, format]
          marketplace-file: marketplace.json
  vars:
    uvm_version: "1.2"
"""

OLD_STYLE = """
package:
  name: old-project
  deps:
    - name: attrs
  dev-deps:
    - name: pytest
      version: ">=8"
"""

VALID = {"package-keys": PACKAGE_KEYS, "source-kinds": SOURCE_KINDS, "old-style": OLD_STYLE}

REJECTED = {
    "root-key-typo": "pakage:\n  name: p\n",
    "root-key-beside-package": "package:\n  name: p\npackages: []\n",
    "key-of-another-kind": (
        "package:\n  name: p\n  dep-sets:\n    - name: default\n      deps:\n"
        "        - {name: lib, url: 'https://example.com/lib.git', unpack: true}\n"
    ),
    "with-python-typo": "package:\n  name: p\n  with:\n    pyhton: {venv: uv}\n",
    "old-style-beside-dep-sets": "package:\n  name: p\n  deps: []\n  dep-sets: []\n",
}


@pytest.fixture(scope="module")
def validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(schema_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ivpm.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.mark.parametrize("text", VALID.values(), ids=VALID.keys())
def test_published_keys_match_the_schema_and_load(
    validator: Any, text: str, tmp_path: Path
) -> None:
    errors = [error.message for error in validator.iter_errors(yaml.safe_load(text))]
    assert errors == []
    assert load_project(write(tmp_path, text), environ={}).dep_sets


@pytest.mark.parametrize("text", REJECTED.values(), ids=REJECTED.keys())
def test_schema_and_loader_both_reject(validator: Any, text: str, tmp_path: Path) -> None:
    assert list(validator.iter_errors(yaml.safe_load(text)))
    with pytest.raises(ConfigError):
        load_project(write(tmp_path, text), environ={})


def test_root_key_typo_is_named(validator: Any) -> None:
    messages = [e.message for e in validator.iter_errors(yaml.safe_load(REJECTED["root-key-typo"]))]
    assert any("'pakage'" in message for message in messages)


@pytest.mark.parametrize(
    ("url", "src"),
    [
        ("https://github.com/org/lib", "git"),
        ("git@github.com:org/lib.git", "git"),
        ("https://example.com/x-1.0.tar.gz", "http"),
        ("file:///opt/x.tar.xz", "file"),
        ("file:///opt/src/lib", "dir"),
        ("../lib", "dir"),
    ],
)
def test_the_kind_inferred_from_the_url_decides_the_keys(
    validator: Any, url: str, src: str
) -> None:
    def document(key: str) -> dict[str, Any]:
        dep = {"name": "lib", "url": url, key: True}
        return {"package": {"name": "p", "dep-sets": [{"name": "d", "deps": [dep]}]}}

    only = {"git": "anonymous", "http": "unpack", "file": "unpack", "dir": "link"}[src]
    assert not list(validator.iter_errors(document(only)))
    other = "link" if src != "dir" else "anonymous"
    assert list(validator.iter_errors(document(other)))
