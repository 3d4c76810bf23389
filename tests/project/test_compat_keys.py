"""The keys the published ivpm accepts: their meaning here, and their errors with locations."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from ivpm.errors import ConfigError
from ivpm.project.diagnostics import Diagnostics
from ivpm.project.loader import load_project
from ivpm.project.model import PackageType, Project, Source

from .conftest import WriteProject, write_yaml

LoadText = Callable[[str], Project]


def one_dep(project: Project, set_name: str = "default") -> object:
    (dep,) = project.dep_sets[set_name].deps
    return dep


def error_of(path: Path, **kwargs: object) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_project(path, **kwargs)  # type: ignore[arg-type]
    return caught.value


def at(error: ConfigError) -> tuple[int, int]:
    assert error.location is not None
    return error.location.line, error.location.col


# the root file stays strict; a sub-project's file warns ------------------------------------

UNKNOWN = """
package:
  name: p
  colour: blue
  dep-sets:
    - name: default
      deps:
        - {name: a, flavour: x}
        - {name: b, flavour: y}
"""


def test_unknown_keys_in_the_root_file_are_errors(write_project: WriteProject) -> None:
    error = error_of(write_project(UNKNOWN))
    assert error.message == "unknown key 'colour' in 'package'"
    assert at(error) == (3, 3)


def test_unknown_keys_in_a_sub_project_warn_once_per_key_and_file(
    write_project: WriteProject, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_project(UNKNOWN)
    diagnostics = Diagnostics(strict=False)
    with caplog.at_level(logging.WARNING, logger="ivpm"):
        project = load_project(path, strict=False, diagnostics=diagnostics)
    assert [dep.name for dep in project.dep_sets["default"].deps] == ["a", "b"]
    messages = [w.render() for w in diagnostics.warnings]
    assert len(messages) == 2  # 'flavour' twice in one file: said once
    assert messages[0].endswith(
        "ivpm.yaml:3:3: warning: unknown key 'colour' in 'package'; ignored"
    )
    assert "ivpm.yaml:7:21: warning: unknown key 'flavour' in dep 'a'; ignored" in messages[1]
    assert "warning: unknown key 'colour'" in caplog.text


def test_schema_key_at_the_top_is_fine(load_text: LoadText) -> None:
    project = load_text("$schema: https://example.com/ivpm.json\npackage:\n  name: p\n")
    assert project.name == "p"


def test_a_typo_still_gets_did_you_mean(write_project: WriteProject) -> None:
    error = error_of(write_project("package:\n  name: p\n  dep-set:\n    - name: x\n"))
    assert "(did you mean 'dep-sets'?)" in error.message


# package level -----------------------------------------------------------------------------


def test_with_python_settings(load_text: LoadText) -> None:
    project = load_text(
        """
        package:
          name: p
          with:
            python:
              venv: uv
              system-site-packages: true
              pre-release: true
            fusesoc: {libraries: [x]}
            agents: {skills: true}
        """
    )
    python = project.python
    assert (python.venv, python.installer, python.system_site_packages, python.pre) == (
        True,
        "uv",
        True,
        True,
    )


@pytest.mark.parametrize(
    ("text", "venv", "installer"), [("false", False, None), ("pip", True, "pip")]
)
def test_with_python_venv_modes(
    load_text: LoadText, text: str, venv: bool, installer: str | None
) -> None:
    project = load_text(f"package:\n  name: p\n  with:\n    python:\n      venv: {text}\n")
    assert (project.python.venv, project.python.installer) == (venv, installer)


def test_with_python_venv_typo(write_project: WriteProject) -> None:
    error = error_of(write_project("package:\n  name: p\n  with:\n    python: {venv: uvv}\n"))
    assert error.message == "unknown venv setting 'uvv' (did you mean 'uv'?)"
    assert at(error) == (4, 20)


@pytest.mark.parametrize(("typo", "meant"), [("pyhton", "python"), ("evn", "env")])
def test_with_section_close_to_ours_is_a_typo(
    write_project: WriteProject, typo: str, meant: str
) -> None:
    error = error_of(write_project(f"package:\n  name: p\n  with:\n    {typo}: {{}}\n"))
    assert f"(did you mean '{meant}'?)" in error.message and at(error) == (4, 5)


def test_pypi_false_on_a_git_dep_is_fine(load_text: LoadText) -> None:
    dep = one_dep(load_text(dep_yaml("name: lib", "url: https://e.com/lib.git", "pypi: false")))
    assert dep.src is Source.GIT  # type: ignore[attr-defined]


def test_env_and_with_env(load_text: LoadText) -> None:
    project = load_text(
        """
        package:
          name: p
          env:
            - {name: PATH, path-prepend: "${IVPM_PACKAGES}/tool/bin"}
            - {name: FLAGS, value: [-O2, -g], description: compiler flags}
          with:
            env:
              - {name: LIBS, path: [a, b]}
        """
    )
    assert [(a.name, a.kind, a.values) for a in project.env] == [
        ("PATH", "path-prepend", ("${IVPM_PACKAGES}/tool/bin",)),
        ("FLAGS", "value", ("-O2 -g",)),
        ("LIBS", "path", ("a", "b")),
    ]
    assert project.env_settings[0].actions == project.env


def test_env_entry_needs_one_kind(write_project: WriteProject) -> None:
    error = error_of(write_project("package:\n  name: p\n  env:\n    - {name: X}\n"))
    assert "env entry 'X' needs one of: value, path, path-append, path-prepend" in error.message


def test_paths_resolve_against_the_declaring_folder(
    write_project: WriteProject, tmp_path: Path
) -> None:
    path = write_project(
        """
        package:
          name: p
          paths:
            project: {}
            export:
              description: what users of this package compile against
              lib-dirs: [src, src/hdl]
              incdirs: include
        """,
        "sub",
    )
    entries = [(e.kind, e.type, e.path) for e in load_project(path).paths]
    folder = tmp_path / "sub"
    assert entries == [
        ("export", "lib-dirs", folder / "src"),
        ("export", "lib-dirs", folder / "src/hdl"),
        ("export", "incdirs", folder / "include"),
    ]


def test_documentation_and_inert_package_keys(load_text: LoadText) -> None:
    project = load_text(
        """
        package:
          name: p
          version: 1.0
          doc: |
            long text
          license: Apache-2.0
          homepage: https://example.com
          documentation: https://example.com/docs
          maintainers: [a@example.com]
          type: python
          provides: [python]
          deps-mode: hierarchical
          submodules: {recursive: true}
          dep-defaults: {git: {submodules: false}}
        """
    )
    assert project.name == "p"


def test_deps_dir(load_text: LoadText) -> None:
    assert load_text("package:\n  name: p\n  deps-dir: deps\n").deps_dir == "deps"


@pytest.mark.parametrize("value", ["/abs", "../out", "."])
def test_deps_dir_must_stay_inside(write_project: WriteProject, value: str) -> None:
    error = error_of(write_project(f"package:\n  name: p\n  deps-dir: '{value}'\n"))
    assert "'deps-dir' must be a folder inside the project" in error.message
    assert at(error) == (3, 13)


# vars ----------------------------------------------------------------------------------------

VARS = """
package:
  name: p
  vars:
    ver: "2.0"
    use_cache: true
  dep-sets:
    - name: default
      deps:
        - name: lib
          url: https://example.com/lib-${{ver}}.git
          cache: ${{use_cache}}
        - name: plain
          version: $${{literal}}
"""


def test_vars_are_substituted(write_project: WriteProject) -> None:
    project = load_project(write_project(VARS.replace("$${{literal}}", "'>=1'")), environ={})
    lib = project.dep_sets["default"].deps[0]
    assert lib.url == "https://example.com/lib-2.0.git"
    assert lib.cache is True  # a whole-value reference takes the value's YAML type
    assert project.variables == {"ver": "2.0", "use_cache": "true"}


def test_define_and_environment_override_vars(write_project: WriteProject) -> None:
    path = write_project(VARS.replace("$${{literal}}", "'>=1'"))
    project = load_project(path, variables={"ver": "3"}, environ={"IVPM_VAR_ver": "9"})
    assert project.dep_sets["default"].deps[0].url == "https://example.com/lib-3.git"
    project = load_project(path, environ={"IVPM_VAR_ver": "9"})
    assert project.dep_sets["default"].deps[0].url == "https://example.com/lib-9.git"


def test_escaped_reference_is_literal(write_project: WriteProject) -> None:
    text = VARS.replace("version: $${{literal}}", "description: cost $${{x}}")
    project = load_project(write_project(text), environ={})
    assert project.name == "p"


def test_undefined_reference_is_an_error_at_its_value(write_project: WriteProject) -> None:
    error = error_of(write_project(VARS.replace("${{ver}}", "${{vers}}")), environ={})
    assert error.message == "undefined variable 'vers' (did you mean 'ver'?)"
    assert at(error) == (10, 16)


def test_undeclared_define_is_an_error(write_project: WriteProject) -> None:
    error = error_of(write_project(VARS), variables={"colour": "x"}, environ={})
    assert error.message.startswith("-D colour: the file declares no variable 'colour'")
    assert at(error) == (3, 3)


def test_builtin_platform_variables(load_text: LoadText) -> None:
    project = load_text(
        "package:\n  name: p\n  dep-sets:\n    - name: default\n      deps:\n"
        "        - {name: t, src: gh-rls, url: 'https://github.com/o/t', file: '${{ivpm_os}}'}\n"
    )
    (dep,) = project.dep_sets["default"].deps
    assert dict(dep.options)["file"] in ("linux", "macos", "win32")


# include -------------------------------------------------------------------------------------


def test_include_merges_with_the_includer_winning(tmp_path: Path) -> None:
    write_yaml(
        tmp_path / "common",
        """
        package:
          deps-dir: shared
          setup-deps: [wheel]
          env:
            - {name: B, value: from-include}
          vars: {who: include, extra: yes}
          paths:
            export: {lib-dirs: [inc]}
          dep-sets:
            - name: extra
              deps: [{name: six}]
        """,
    )
    root = write_yaml(
        tmp_path,
        """
        package:
          name: p
          include: common/ivpm.yaml
          deps-dir: mine
          setup-deps: [setuptools]
          env:
            - {name: A, value: from-root}
          vars: {who: root}
          paths:
            export: {lib-dirs: [src]}
          dep-sets:
            - name: default
              deps: [{name: attrs, description: '${{who}} ${{extra}}'}]
        """,
    )
    project = load_project(root, environ={})
    assert project.deps_dir == "mine"
    assert project.setup_deps == ("setuptools", "wheel")
    assert [a.name for a in project.env] == ["A", "B"]
    assert list(project.dep_sets) == ["default", "extra"]
    assert [e.path.name for e in project.paths] == ["src", "inc"]
    assert project.variables == {"who": "root", "extra": "yes"}
    assert project.includes == (tmp_path / "common" / "ivpm.yaml",)


def test_include_errors(tmp_path: Path) -> None:
    write_yaml(tmp_path / "a", "package:\n  include: ../ivpm.yaml\n")
    root = write_yaml(tmp_path, "package:\n  name: p\n  include: [a/ivpm.yaml, missing.yaml]\n")
    cycle = error_of(root)
    assert cycle.message == "include cycle: '../ivpm.yaml' is already being read"
    assert cycle.location is not None and cycle.location.path == tmp_path / "a" / "ivpm.yaml"
    write_yaml(tmp_path / "a", "package:\n  name: other\n")
    named = error_of(root)
    assert named.message == "an included file may not set 'name'"
    write_yaml(tmp_path / "a", "package:\n  setup-deps: []\n")
    missing = error_of(root)
    assert missing.message.startswith("included file 'missing.yaml' does not exist")
    assert at(missing) == (3, 26)


def test_include_duplicate_dep_set(tmp_path: Path) -> None:
    write_yaml(tmp_path / "a", "package:\n  dep-sets:\n    - name: default\n")
    root = write_yaml(
        tmp_path, "package:\n  name: p\n  include: a/ivpm.yaml\n  dep-sets:\n    - name: default\n"
    )
    error = error_of(root)
    assert error.message == "duplicate dep-set 'default'"
    assert error.location is not None and error.location.path == tmp_path / "a" / "ivpm.yaml"


# old-style files ---------------------------------------------------------------------------


def test_old_style_deps_become_two_dep_sets(
    write_project: WriteProject, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_project(
        """
        package:
          name: p
          deps:
            - {name: attrs}
          dev-deps:
            - {name: pytest}
        """
    )
    with caplog.at_level(logging.WARNING, logger="ivpm"):
        project = load_project(path)
    assert [d.name for d in project.dep_sets["default"].deps] == ["attrs"]
    assert [d.name for d in project.dep_sets["default-dev"].deps] == ["attrs", "pytest"]
    assert "ivpm.yaml:3:3: warning: old-style 'deps'/'dev-deps'" in caplog.text


# dep-set level -------------------------------------------------------------------------------


def test_dep_set_keys(load_text: LoadText) -> None:
    project = load_text(
        """
        package:
          name: p
          dep-sets:
            - name: default
              default-dep-set: release
              doc: text
              kind: python
              deps-mode: flatten
              with: {python: {}}
              deps: []
        """
    )
    assert project.dep_sets["default"].default_dep_set == "release"


# dep level -----------------------------------------------------------------------------------


def dep_yaml(*lines: str) -> str:
    body = "        - " + lines[0] + "\n" + "".join(f"          {line}\n" for line in lines[1:])
    return "package:\n  name: p\n  dep-sets:\n    - name: default\n      deps:\n" + body


def test_pypi_true_and_type_python(load_text: LoadText) -> None:
    dep = one_dep(load_text(dep_yaml("name: pyyaml", "pypi: true", "type: python")))
    assert dep.src is Source.PYPI  # type: ignore[attr-defined]


def test_pypi_true_contradicting_src(write_project: WriteProject) -> None:
    error = error_of(write_project(dep_yaml("name: x", "src: git", "url: u.git", "pypi: true")))
    assert error.message == "'pypi: true' contradicts 'src: git'" and at(error) == (9, 11)


def test_raw_type_on_a_pypi_dep(write_project: WriteProject) -> None:
    error = error_of(write_project(dep_yaml("name: x", "type: raw")))
    assert error.message == "a pypi dep is always a Python package"


def test_type_python_options(load_text: LoadText) -> None:
    dep = one_dep(
        load_text(
            dep_yaml(
                "name: lib",
                "url: https://example.com/lib.git",
                "type: {python: {editable: false, extras: [tests]}}",
            )
        )
    )
    assert dep.type is PackageType.PYTHON  # type: ignore[attr-defined]
    assert dep.editable is False  # type: ignore[attr-defined]
    assert dep.extras == ("tests",)  # type: ignore[attr-defined]


def test_type_option_typo(write_project: WriteProject) -> None:
    error = error_of(
        write_project(dep_yaml("name: lib", "url: u.git", "type: {python: {editabel: false}}"))
    )
    assert error.message == "unknown option 'editabel' for type 'python' (did you mean 'editable'?)"


def test_type_name_typo(write_project: WriteProject) -> None:
    error = error_of(write_project(dep_yaml("name: lib", "url: u.git", "type: pyton")))
    assert error.message == "unknown type 'pyton' (did you mean 'python'?)" and at(error) == (8, 17)


def test_git_dep_keys_of_the_published_ivpm(load_text: LoadText) -> None:
    dep = one_dep(
        load_text(
            dep_yaml(
                "name: lib",
                "url: https://github.com/o/lib.git",
                "anonymous: true",
                "ssh: false",
                "cache: true",
                "submodules: false",
                "deps: skip",
                "patches: [fix.patch]",
                "description: a library",
                "doc: more",
                "agents: {skip: true}",
            )
        )
    )
    assert (dep.anonymous, dep.ssh, dep.cache, dep.submodules) == (True, False, True, False)  # type: ignore[attr-defined]
    assert dep.read_deps is False and dep.patches == ("fix.patch",)  # type: ignore[attr-defined]


def test_deps_other_than_skip(write_project: WriteProject) -> None:
    error = error_of(write_project(dep_yaml("name: lib", "url: u.git", "deps: skp")))
    assert error.message == "a dep's 'deps' must be 'skip', got 'skp' (did you mean 'skip'?)"


def test_archive_keys(load_text: LoadText) -> None:
    dep = one_dep(
        load_text(
            dep_yaml(
                "name: uvm",
                "url: https://example.com/uvm-1.2.tar.gz",
                "unpack: true",
                f"sha256: {'a' * 64}",
            )
        )
    )
    assert dep.src is Source.HTTP and dep.sha256 == "a" * 64  # type: ignore[attr-defined]


def test_bad_sha256(write_project: WriteProject) -> None:
    error = error_of(write_project(dep_yaml("name: u", "url: https://e.com/u.zip", "sha256: abc")))
    assert error.message == "'sha256' must be 64 hexadecimal digits" and at(error) == (8, 19)


def test_release_keys(load_text: LoadText) -> None:
    dep = one_dep(
        load_text(
            dep_yaml(
                "name: verilator",
                "src: gh-rls",
                "url: https://github.com/o/verilator",
                "version: latest",
                "prerelease: true",
                "cache: true",
            )
        )
    )
    assert dep.version == "latest" and dep.prerelease is True  # type: ignore[attr-defined]


def test_key_of_another_kind_names_the_kinds(write_project: WriteProject) -> None:
    error = error_of(
        write_project(dep_yaml("name: lib", "url: https://e.com/lib.git", "unpack: true"))
    )
    assert error.message == "'unpack' does not apply to a git dep"
    assert error.hint == "'unpack' applies to deps of src: http, file, url, gh-rls"


@pytest.mark.parametrize(
    ("url", "src"),
    [
        ("https://github.com/o/r.git", Source.GIT),
        ("https://github.com/o/r", Source.GIT),
        ("git@github.com:o/r.git", Source.GIT),
        ("https://example.com/x-1.0.tar.gz", Source.HTTP),
        ("https://example.com/x.tgz", Source.HTTP),
        ("https://example.com/x.zip?raw=1", Source.HTTP),
        ("https://example.com/tool.jar", Source.HTTP),
        ("file:///opt/x.tar.xz", Source.FILE),
        ("file:///opt/src/lib", Source.DIR),
        ("../lib", Source.DIR),
    ],
)
def test_source_inferred_from_url(load_text: LoadText, url: str, src: Source) -> None:
    assert one_dep(load_text(dep_yaml("name: lib", f"url: '{url}'"))).src is src  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("lines", "src"),
    [
        (("src: npm", "version: ^1.2"), Source.NPM),
        (("src: package.json",), Source.PACKAGE_JSON),
        (("src: fusesoc", "vlnv: fusesoc:utils:generators"), Source.FUSESOC),
        (("src: module", "module: gcc"), Source.MODULE),
        (
            ("src: marketplace", "url: https://example.com/m.git", "plugins: [a]"),
            Source.MARKETPLACE,
        ),
        (("src: ivpm.yaml", "path: other.yaml", "dep-set: dev"), Source.IVPM_YAML),
        (("src: pyproject.toml", "include: [dependencies]"), Source.PYPROJECT),
    ],
)
def test_other_source_kinds_load(load_text: LoadText, lines: tuple[str, ...], src: Source) -> None:
    assert one_dep(load_text(dep_yaml("name: thing", *lines))).src is src  # type: ignore[attr-defined]


def test_other_kind_key_typo_gets_did_you_mean(write_project: WriteProject) -> None:
    error = error_of(write_project(dep_yaml("name: core", "src: fusesoc", "vlvn: a:b:c")))
    assert error.message == "unknown key 'vlvn' in dep 'core' (did you mean 'vlnv'?)"
    assert at(error) == (8, 11)


def test_dep_with_is_refused_with_the_new_spelling(write_project: WriteProject) -> None:
    error = error_of(write_project(dep_yaml("name: lib", "url: u.git", "with: {editable: false}")))
    assert error.message == "a dep's 'with' is no longer supported"
    assert error.hint is not None and "type: {python: {editable: false}}" in error.hint
