"""Dep-set selection and ``uses`` inheritance."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ivpm.errors import ConfigError
from ivpm.project.depsets import effective_deps, select_dep_set
from ivpm.project.model import Project

Load = Callable[[str], Project]

CHAIN = """
package:
  name: p
  dep-sets:
    - name: release
      deps:
        - name: numpy
          version: ">=1.24"
        - name: requests
    - name: dev
      uses: release
      deps:
        - name: pytest
        - name: numpy
          version: "==1.26.0"
    - name: ci
      uses: dev
      deps:
        - name: coverage
"""


def test_uses_chain_and_override(load_text: Load) -> None:
    project = load_text(CHAIN)
    ci = effective_deps(project, "ci")
    assert list(ci) == ["coverage", "pytest", "numpy", "requests"]
    assert ci["numpy"].version == "==1.26.0"  # dev's entry overrides release's, two levels down
    assert list(effective_deps(project, "release")) == ["numpy", "requests"]
    assert effective_deps(project, "release")["numpy"].version == ">=1.24"


def test_override_by_canonical_name(load_text: Load) -> None:
    project = load_text(
        """
        package:
          name: p
          dep-sets:
            - name: base
              deps: [{name: Foo_Bar, version: ">=1"}]
            - name: dev
              uses: base
              deps: [{name: foo-bar, version: ">=2"}]
        """
    )
    assert {name: d.version for name, d in effective_deps(project, "dev").items()} == {
        "foo-bar": ">=2"
    }


DIAMOND = """
package:
  name: p
  dep-sets:
    - name: top
      uses: [{first}, {second}]
    - name: left
      uses: bottom
      deps:
        - name: foo
          version: "==2"
        - name: left-only
    - name: right
      uses: bottom
      deps:
        - name: right-only
    - name: bottom
      deps:
        - name: foo
          version: "==1"
        - name: bar
"""


@pytest.mark.parametrize(("first", "second"), [("left", "right"), ("right", "left")])
def test_diamond_is_order_independent(load_text: Load, first: str, second: str) -> None:
    project = load_text(DIAMOND.format(first=first, second=second))
    deps = effective_deps(project, "top")
    # left overrides bottom's foo; reaching bottom through right does not bring the old one back.
    assert deps["foo"].version == "==2"
    assert set(deps) == {"foo", "left-only", "right-only", "bar"}


def test_ordering_follows_uses_depth_first(load_text: Load) -> None:
    project = load_text(DIAMOND.format(first="left", second="right"))
    assert list(effective_deps(project, "top")) == ["foo", "left-only", "bar", "right-only"]
    project = load_text(DIAMOND.format(first="right", second="left"))
    assert list(effective_deps(project, "top")) == ["right-only", "foo", "bar", "left-only"]


SIBLINGS = """
package:
  name: p
  dep-sets:
    - name: top
      uses: [a, b]
      deps: {own}
    - name: a
      deps:
        - name: foo
          version: "==1"
    - name: b
      deps:
        - name: foo
          version: "==2"
"""


def test_sibling_conflict_is_an_error(load_text: Load) -> None:
    project = load_text(SIBLINGS.format(own="[]"))
    with pytest.raises(ConfigError) as caught:
        effective_deps(project, "top")
    error = caught.value
    assert "dep 'foo' is inherited from dep-sets 'a' and 'b' with different specs" in error.message
    assert "version '==1' vs '==2'" in error.message
    assert error.location is not None and error.location.line == 13
    assert [loc.line for _, loc in error.related] == [9]
    assert error.hint == "declare 'foo' in dep-set 'top' to choose one"


def test_sibling_conflict_resolved_by_own_entry(load_text: Load) -> None:
    project = load_text(SIBLINGS.format(own='[{name: foo, version: "==3"}]'))
    assert effective_deps(project, "top")["foo"].version == "==3"


def test_identical_sibling_specs_are_fine(load_text: Load) -> None:
    project = load_text(SIBLINGS.format(own="[]").replace('"==2"', '"== 1"'))
    assert effective_deps(project, "top")["foo"].location.line == 9


def test_unknown_dep_set(load_text: Load) -> None:
    project = load_text(CHAIN)
    with pytest.raises(ConfigError) as caught:
        effective_deps(project, "dve")
    assert "no dep-set 'dve' in" in caught.value.message
    assert "(did you mean 'dev'?)" in caught.value.message


def test_select_requested_wins(load_text: Load) -> None:
    project = load_text(CHAIN.replace("  dep-sets:", "  default-dep-set: dev\n  dep-sets:"))
    assert select_dep_set(project, "ci") == "ci"
    assert select_dep_set(project, None) == "dev"


def test_select_first_set_without_default(load_text: Load) -> None:
    assert select_dep_set(load_text(CHAIN), None) == "release"


def test_select_only_set(load_text: Load) -> None:
    project = load_text("package:\n  name: p\n  dep-sets:\n    - name: only\n")
    assert select_dep_set(project, None) == "only"


def test_select_missing_lists_sets(load_text: Load) -> None:
    project = load_text(CHAIN)
    with pytest.raises(ConfigError) as caught:
        select_dep_set(project, "devv")
    error = caught.value
    assert "no dep-set 'devv'" in error.message
    assert "(did you mean 'dev'?)" in error.message
    assert error.hint is not None and error.hint.endswith("release, dev, ci")
    assert error.location is None


def test_no_dep_sets_selects_empty_default(load_text: Load) -> None:
    project = load_text("package:\n  name: p\n")
    assert select_dep_set(project, None) == "default"
    assert effective_deps(project, "default") == {}
    with pytest.raises(ConfigError, match="no dep-set 'dev'") as caught:
        select_dep_set(project, "dev")
    assert caught.value.hint is not None and "(none)" in caught.value.hint
