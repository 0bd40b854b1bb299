"""The rate-limit service's settings: limits' notation checked at start-up, ``off``, Spanish."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.ratelimit import build_rate_limits, describe, parse_rate
from core.settings import Settings


def test_a_bad_rate_is_a_settings_error_naming_the_notation() -> None:
    with pytest.raises(ValidationError) as error:
        Settings(rate_signup="diez por hora")
    assert "rate_signup" in str(error.value) and "limits' notation" in str(error.value)


def test_a_bad_trusted_proxy_is_a_settings_error() -> None:
    with pytest.raises(ValidationError, match="trusted_proxies"):
        Settings(trusted_proxies="10.0.0.0/8, un-proxy")
    assert Settings(trusted_proxies="127.0.0.1, 10.0.0.0/8").trusted_proxies == [
        "127.0.0.1",
        "10.0.0.0/8",
    ]


def test_off_disables_a_limit_and_rates_read_in_spanish() -> None:
    assert parse_rate("off") is None
    limits = build_rate_limits(Settings(rate_tickets="off", rate_signup="5/hour"))
    assert limits.item("tickets") is None
    item = limits.item("signup")
    assert item is not None and describe(item) == "máximo 5 por hora"
    login = limits.item("login")
    assert login is not None and describe(login) == "máximo 5 cada 300 segundos"


async def test_an_off_limit_always_allows() -> None:
    limits = build_rate_limits(Settings(rate_tickets="off"))
    try:
        assert all([await limits.allow("tickets", 1) for _ in range(1000)])
    finally:
        await limits.close()
