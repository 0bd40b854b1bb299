"""escalamiento's settings under their names from before ``[plugins.escalamiento]``: the flat
keys ``escalamiento_intervalo``, ``escalamiento_webhook_url`` and ``escalamiento_webhook_secret``
(in code or at the top of soporte.toml) still configure the plugin, with a warning."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from core.plugin_settings import plugin_settings
from core.plugins import PluginError
from plugins.escalamiento.settings import EscalamientoSettings

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from aiohttp import web

PLUGINS = ["tickets", "escalamiento"]


@pytest.fixture(autouse=True)
def limpio(isolated_config: Callable[[str], Path]) -> Path:
    """An empty working directory and no ``SOPORTE_ESCALAMIENTO_*`` variable."""
    return isolated_config("SOPORTE_ESCALAMIENTO_")


def test_las_claves_planas_en_codigo_siguen_valiendo_con_aviso(
    make_app: Callable[..., web.Application],
) -> None:
    with pytest.warns(DeprecationWarning) as avisos:
        app = make_app(
            PLUGINS,
            escalamiento_intervalo=0,
            escalamiento_webhook_url="https://hooks.example.com/x",
            escalamiento_webhook_secret="firma",
        )
    ajustes = plugin_settings(app, "escalamiento", EscalamientoSettings)
    assert (ajustes.interval, ajustes.webhook_url, ajustes.webhook_secret) == (
        0,
        "https://hooks.example.com/x",
        "firma",
    )
    textos = " | ".join(str(a.message) for a in avisos)
    assert "escalamiento_intervalo= is deprecated" in textos
    assert "plugin_settings={'escalamiento': {'interval': ...}}" in textos


def test_las_claves_planas_de_soporte_toml_siguen_valiendo_con_aviso(
    make_app: Callable[..., web.Application], limpio: Path
) -> None:
    (limpio / "soporte.toml").write_text(
        'escalamiento_intervalo = 0\nescalamiento_webhook_url = "ftp://mal"\n'
    )
    # A bad value under the old key stops the start-up, naming the key actually used.
    with (
        pytest.warns(DeprecationWarning),
        pytest.raises(
            PluginError,
            match=r"plugin 'escalamiento': setting 'webhook_url' "
            r"\(escalamiento_webhook_url in soporte.toml \(deprecated\)\)",
        ),
    ):
        make_app(PLUGINS)
    (limpio / "soporte.toml").write_text("escalamiento_intervalo = 0\n")
    with pytest.warns(
        DeprecationWarning,
        match=r"escalamiento_intervalo in soporte.toml .*\[plugins.escalamiento\] interval",
    ):
        app = make_app(PLUGINS)
    assert plugin_settings(app, "escalamiento", EscalamientoSettings).interval == 0
