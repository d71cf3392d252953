from __future__ import annotations

import pytest

from monolambda.settings import (
    LAMBDA_SYNC_PAYLOAD_BYTES,
    Environment,
    GraphQLLimits,
    Settings,
    SettingsError,
)


def test_dev_profile() -> None:
    settings = Settings.from_env({"APP_ENV": "dev"})
    assert settings.environment is Environment.DEV
    assert settings.introspection
    assert settings.graphiql
    assert settings.field_suggestions
    assert settings.limits == GraphQLLimits()
    assert (settings.limits.max_depth, settings.limits.max_tokens, settings.limits.max_aliases) == (
        10,
        2_000,
        15,
    )
    assert settings.limits.max_batch == 0
    assert settings.max_body_bytes == LAMBDA_SYNC_PAYLOAD_BYTES


def test_prod_profile_is_closed() -> None:
    settings = Settings.from_env({"APP_ENV": "PROD"})
    assert settings.environment is Environment.PROD
    assert not settings.introspection
    assert not settings.graphiql
    assert not settings.field_suggestions


def test_single_variables_override_the_profile() -> None:
    settings = Settings.from_env(
        {
            "APP_ENV": "prod",
            "GRAPHIQL": "true",
            "GRAPHQL_MAX_DEPTH": "7",
            "GRAPHQL_MAX_BATCH": "5",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        }
    )
    assert settings.graphiql
    assert not settings.introspection
    assert settings.limits.max_depth == 7
    assert settings.limits.max_batch == 5
    assert settings.memory_mb == 512


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "APP_ENV is not set"),
        ({"APP_ENV": "staging"}, "APP_ENV='staging' is not one of"),
        (
            {"APP_ENV": "dev", "GRAPHQL_MAX_DEPTH": "deep"},
            "GRAPHQL_MAX_DEPTH='deep' is not an integer",
        ),
        ({"APP_ENV": "dev", "GRAPHQL_MAX_DEPTH": "0"}, "below its minimum"),
        ({"APP_ENV": "dev", "GRAPHIQL": "maybe"}, "GRAPHIQL='maybe' is not a boolean"),
    ],
)
def test_bad_configuration_fails_loudly_naming_the_variable(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)
