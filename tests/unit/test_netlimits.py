"""The network bounds ivpm gives git, pip and uv, computed from an environment mapping."""

from __future__ import annotations

import pytest

from ivpm.errors import UsageError
from ivpm.netlimits import (
    DEFAULT_SILENCE_TIMEOUT,
    git_network_env,
    pip_network_options,
    silence_timeout,
    uv_network_env,
)


def test_git_gets_a_low_speed_limit_of_30_seconds_by_default() -> None:
    assert git_network_env({}) == {"GIT_HTTP_LOW_SPEED_LIMIT": "1", "GIT_HTTP_LOW_SPEED_TIME": "30"}


def test_git_low_speed_time_follows_ivpm_http_timeout_in_whole_seconds() -> None:
    assert git_network_env({"IVPM_HTTP_TIMEOUT": "2.5"})["GIT_HTTP_LOW_SPEED_TIME"] == "3"
    assert git_network_env({"IVPM_HTTP_TIMEOUT": "0.1"})["GIT_HTTP_LOW_SPEED_TIME"] == "1"


def test_git_keeps_the_users_own_low_speed_settings() -> None:
    env = {"GIT_HTTP_LOW_SPEED_LIMIT": "1000", "GIT_HTTP_LOW_SPEED_TIME": "5"}
    assert git_network_env({**env, "IVPM_HTTP_TIMEOUT": "60"}) == {}
    assert git_network_env({"GIT_HTTP_LOW_SPEED_TIME": "5"}) == {"GIT_HTTP_LOW_SPEED_LIMIT": "1"}


def test_pip_and_uv_keep_their_own_defaults_unless_ivpm_http_settings_are_given() -> None:
    assert pip_network_options({}) == []
    assert uv_network_env({}) == {}


def test_pip_gets_ivpm_http_timeout_and_retries() -> None:
    env = {"IVPM_HTTP_TIMEOUT": "7", "IVPM_HTTP_RETRIES": "1"}
    assert pip_network_options(env) == ["--timeout", "7", "--retries", "1"]
    assert pip_network_options({"IVPM_HTTP_TIMEOUT": "2.5"}) == ["--timeout", "2.5"]


@pytest.mark.parametrize("variable", ["PIP_TIMEOUT", "PIP_DEFAULT_TIMEOUT"])
def test_pip_keeps_the_users_own_timeout(variable: str) -> None:
    env = {"IVPM_HTTP_TIMEOUT": "7", "IVPM_HTTP_RETRIES": "1", variable: "120"}
    assert pip_network_options(env) == ["--retries", "1"]


def test_pip_keeps_the_users_own_retries() -> None:
    env = {"IVPM_HTTP_TIMEOUT": "7", "IVPM_HTTP_RETRIES": "1", "PIP_RETRIES": "9"}
    assert pip_network_options(env) == ["--timeout", "7"]


def test_uv_gets_ivpm_http_timeout_and_retries() -> None:
    env = {"IVPM_HTTP_TIMEOUT": "2.5", "IVPM_HTTP_RETRIES": "0"}
    assert uv_network_env(env) == {"UV_HTTP_TIMEOUT": "3", "UV_HTTP_RETRIES": "0"}


@pytest.mark.parametrize("variable", ["UV_HTTP_TIMEOUT", "UV_REQUEST_TIMEOUT"])
def test_uv_keeps_the_users_own_settings(variable: str) -> None:
    env = {"IVPM_HTTP_TIMEOUT": "7", "IVPM_HTTP_RETRIES": "1", "UV_HTTP_RETRIES": "4"}
    assert uv_network_env({**env, variable: "99"}) == {}


def test_a_non_number_http_setting_is_ignored() -> None:
    assert pip_network_options({"IVPM_HTTP_TIMEOUT": "soon", "IVPM_HTTP_RETRIES": "x"}) == []
    assert git_network_env({"IVPM_HTTP_TIMEOUT": "soon"})["GIT_HTTP_LOW_SPEED_TIME"] == "30"


def test_silence_timeout_defaults_to_a_few_minutes_and_zero_disables_it() -> None:
    assert silence_timeout({}) == DEFAULT_SILENCE_TIMEOUT == 300
    assert silence_timeout({"IVPM_SILENCE_TIMEOUT": " 12.5 "}) == 12.5
    assert silence_timeout({"IVPM_SILENCE_TIMEOUT": "0"}) == 0


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("soon", "IVPM_SILENCE_TIMEOUT must be a number of seconds, not 'soon'"),
        ("-1", "IVPM_SILENCE_TIMEOUT must be 0 or more seconds, not '-1'"),
        ("nan", "IVPM_SILENCE_TIMEOUT must be 0 or more seconds, not 'nan'"),
        ("inf", "IVPM_SILENCE_TIMEOUT must be 0 or more seconds, not 'inf'"),
    ],
)
def test_a_bad_silence_timeout_is_a_usage_error(raw: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        silence_timeout({"IVPM_SILENCE_TIMEOUT": raw})
    assert caught.value.message == message
    assert caught.value.exit_code == 2
