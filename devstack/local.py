"""The local stack's fixed names, shared by every tool without importing anything: the
checkout, the default state directory, the account and region it plays, and its user pool's
issuer and app client (devstack.auth signs for them)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_STATE_DIR = ROOT / ".dev"
LOCAL_REGION = "us-east-1"
LOCAL_ACCOUNT = "123456789012"
LOCAL_USER_POOL_ID = "local_monolambda"
# What the template's issuer (https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}/${UserPool})
# reads locally. A name only: the keys come from the local stack (JWT_JWKS_URL), never from
# that host.
LOCAL_ISSUER = f"https://cognito-idp.{LOCAL_REGION}.amazonaws.com/{LOCAL_USER_POOL_ID}"
LOCAL_CLIENT_ID = "monolambda-local-client"
