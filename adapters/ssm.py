"""Slack's secrets from SSM Parameter Store, read once per Lambda cold start, so that the
template and the function's environment hold parameter names, never the secrets."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.config import Settings

# Setting ← the setting that names its SecureString parameter.
SECRETS = {
    "slack_bot_token": "slack_bot_token_ssm_param",
    "slack_signing_secret": "slack_signing_secret_ssm_param",
}


class SecretsError(RuntimeError):
    """A named parameter could not be read: the function cannot work without it."""


def with_secrets(settings: Settings, client: Any | None = None) -> Settings:
    """`settings` with each secret that is unset but named by its *_SSM_PARAM read from SSM
    (decrypted). A secret set directly wins over its parameter."""
    wanted = {
        field: getattr(settings, param)
        for field, param in SECRETS.items()
        if getattr(settings, param) and not getattr(settings, field)
    }
    if not wanted:
        return settings
    if client is None:
        from adapters import aws_session

        client = aws_session.client("ssm", settings.aws_region)
    values = {}
    for field, name in wanted.items():
        try:
            answer = client.get_parameter(Name=name, WithDecryption=True)
        except (ClientError, BotoCoreError) as err:
            raise SecretsError(
                f"cannot read SSM parameter {name!r} for {field.upper()}: {err}"
            ) from err
        values[field] = answer["Parameter"]["Value"]
    return settings.model_copy(update=values)
