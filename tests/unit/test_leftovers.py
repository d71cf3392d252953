"""devstack/leftovers.py: each kind of resource a prod stack keeps (its DeletionPolicy is
Retain) comes with the command that removes it."""

from __future__ import annotations

import pytest

from devstack.leftovers import Leftover, report


@pytest.mark.parametrize(
    ("arn", "command"),
    [
        (
            "arn:aws:dynamodb:eu-west-1:123456789012:table/monolambda-prod-JobsTable-1A2B",
            "aws dynamodb delete-table --table-name monolambda-prod-JobsTable-1A2B",
        ),
        (
            "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC123",
            "aws cognito-idp delete-user-pool --user-pool-id eu-west-1_AbC123",
        ),
        (
            "arn:aws:s3:::monolambda-123456789012-0a1b2c",
            "aws s3 rb s3://monolambda-123456789012-0a1b2c --force",
        ),
        (
            "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/x",
            "remove arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/x with its "
            "service's delete command",
        ),
    ],
)
def test_each_leftover_comes_with_its_removal(arn: str, command: str) -> None:
    assert Leftover("Kept", arn).removal == command


def test_nothing_left_says_nothing() -> None:
    assert report([], "monolambda-prod") == []


def test_the_report_names_each_with_its_command() -> None:
    arn = "arn:aws:s3:::monolambda-123456789012-0a1b2c"
    lines = report([Leftover("DataBucket", arn)], "monolambda-prod")
    assert "1 resource(s) of an earlier 'monolambda-prod'" in lines[0]
    assert f"DataBucket: {arn}" in lines[1]
    assert "remove it: aws s3 rb s3://monolambda-123456789012-0a1b2c --force" in lines[2]
