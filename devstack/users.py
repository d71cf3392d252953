"""`make user` and `make login`: a user in a deployed stack's Cognito user pool, and a token
for the API (its ID token: the JWT authorizer's audience is the app client).

    python -m devstack.users add EMAIL [--groups admins,...] [--config-env dev | --stack NAME]
    python -m devstack.users token EMAIL [--config-env dev | --stack NAME]

The password comes from $PASSWORD (`add` makes and prints one when it is unset). `add` makes
the user with that password, permanent, its e-mail verified and no invitation sent (an
operator's account, not a sign-up). `token` signs in with the password flow, which the
template allows the app client only in the dev profile; prod keeps SRP only (a browser signs
in through the hosted UI; docs/clients/web.md).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import sys
from typing import Any

from devstack.seed import add_stack_arguments, stack_and_region
from devstack.standins import PrerequisiteError


def pool_of(stack: str, region: str) -> tuple[str, str]:
    """The stack's user pool and app client, from its outputs."""
    import boto3  # noqa: PLC0415 - the caller's own AWS configuration

    found = boto3.client("cloudformation", region_name=region).describe_stacks(StackName=stack)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in found["Stacks"][0].get("Outputs", [])}
    if "UserPoolId" not in outputs or "UserPoolClientId" not in outputs:
        raise PrerequisiteError(
            f"the stack {stack!r} has no user pool (deployed with AuthEnabled=false: every "
            "request is the anonymous caller, no token needed)"
        )
    return outputs["UserPoolId"], outputs["UserPoolClientId"]


def add(cognito: Any, pool: str, email: str, password: str, groups: list[str]) -> None:
    cognito.admin_create_user(
        UserPoolId=pool,
        Username=email,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
        ],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=pool, Username=email, Password=password, Permanent=True
    )
    for group in groups:
        with contextlib.suppress(cognito.exceptions.GroupExistsException):
            cognito.create_group(UserPoolId=pool, GroupName=group)
        cognito.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=group)


def token(cognito: Any, pool: str, client_id: str, email: str, password: str) -> str:
    # The app client says which flows it allows; asked first, so that a prod stack's refusal
    # says why instead of Cognito's "Auth flow not enabled for this client".
    client = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=client_id)
    flows = client["UserPoolClient"].get("ExplicitAuthFlows") or []
    if "ALLOW_USER_PASSWORD_AUTH" not in flows:
        raise PrerequisiteError(
            "this stack's app client does not allow the password flow (only the dev profile "
            "does; prod signs in with SRP or the hosted UI: docs/clients/web.md), so there "
            "is no token to print: sign in through the browser client, or use a dev stack"
        )
    answer = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    result = answer.get("AuthenticationResult")
    if not result:
        raise PrerequisiteError(f"the pool asks for {answer.get('ChallengeName')} first")
    return str(result["IdToken"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.users", description=__doc__)
    parser.add_argument("action", choices=["add", "token"])
    parser.add_argument("email")
    parser.add_argument("--groups", default="", help="comma-separated (add)")
    add_stack_arguments(parser)
    args = parser.parse_args(argv)
    password = os.environ.get("PASSWORD", "")
    if args.action == "token" and not password:
        print("error: set PASSWORD to the user's password", file=sys.stderr)
        return 2
    try:
        stack, region = stack_and_region(args)
        pool, client_id = pool_of(stack, region)
        import boto3  # noqa: PLC0415

        cognito = boto3.client("cognito-idp", region_name=region)
        if args.action == "add":
            made = not password
            # Upper, lower, digits and a symbol: what the pool's policy asks, 12 and more.
            password = password or f"{secrets.token_urlsafe(18)}aA1!"
            groups = [g.strip() for g in args.groups.split(",") if g.strip()]
            add(cognito, pool, args.email, password, groups)
            print(
                f"user {args.email} in {pool}"
                + (f" (groups {', '.join(groups)})" if groups else "")
            )
            if made:
                print(f"password: {password}")
        else:
            print(token(cognito, pool, client_id, args.email, password))
    except PrerequisiteError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - Cognito's refusal, in one line, not a traceback
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
