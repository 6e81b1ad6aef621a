"""docs/examples/kassa-register is installed (a workspace member), found through its entry
point, and serves hub.fiscal when kassa.toml configures it."""

from __future__ import annotations

import pytest
from kassa.errors import ConfigError
from kassa.model import Cashier
from kassa.plugins import Plugins, new_manager
from kassa.testing import make_hub
from kassa.testing.contracts import sample_receipt

pytestmark = pytest.mark.anyio


def test_found_through_its_entry_point():
    names = {p["name"]: p["hooks"] for p in Plugins(new_manager()).describe()}
    assert names["register"] == ["register_fiscal_devices", "register_settings"]


async def test_serves_hub_fiscal_when_configured(tmp_path, monkeypatch):
    monkeypatch.setenv("KASSA_LOAD_PLUGINS", "register")
    tape = tmp_path / "tape.txt"
    cfg = {"register": {"tape": str(tape)}, "sites": [{"code": "s1"}],
           "stations": [{"code": "t1", "site": "s1", "fiscal": "training"}]}
    async with make_hub(cfg, tmp_path, entry_points=True) as hub:
        await hub.fiscal.open_shift(Cashier(name="Иванова"), key="o1", site="s1", station="t1")
        doc = await hub.fiscal.receipt(sample_receipt(), key="r1", site="s1", station="t1")
        assert doc == await hub.fiscal.receipt(sample_receipt(), key="r1", site="s1",
                                               station="t1")
    assert tape.read_text(encoding="utf-8").count("--- receipt") == 1
    assert "ИТОГ 150.00" in tape.read_text(encoding="utf-8")


async def test_a_misspelt_register_fails_start_with_a_hint(tmp_path, monkeypatch):
    monkeypatch.setenv("KASSA_LOAD_PLUGINS", "register")
    cfg = {"register": {"tape": str(tmp_path / "tape.txt")}, "sites": [{"code": "s1"}],
           "stations": [{"code": "t1", "site": "s1", "fiscal": "trainig"}]}
    with pytest.raises(ConfigError, match="did you mean 'training'"):
        async with make_hub(cfg, tmp_path, entry_points=True):
            pass


def test_the_authoring_page_shows_the_register_verbatim(tmp_path):
    """docs/plugin-authoring.md section 8 walks through this plugin: its file= blocks are the
    example's files, all of them, and its kassa.toml lines load with the plugin installed."""
    import re
    from pathlib import Path

    from kassa.config import load

    root = Path(__file__).resolve().parent.parent
    page = (root / "docs" / "plugin-authoring.md").read_text(encoding="utf-8")
    example = root / "docs" / "examples" / "kassa-register"
    blocks = dict(re.findall(r"^```\w+ file=kassa-register/(\S+)\n(.*?)^```$", page,
                             re.S | re.M))
    on_disk = {str(p.relative_to(example)) for p in example.rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assert set(blocks) == on_disk
    for path, body in blocks.items():
        assert (example / path).read_text(encoding="utf-8") == body, path
    section = page.split("\n## 8. ", 1)[1]
    toml = next(b for b in re.findall(r"^```toml\n(.*?)^```$", section, re.S | re.M)
                if "[[stations]]" in b)
    cfg = tmp_path / "kassa.toml"
    cfg.write_text(f'[hub]\ndata_dir = "{tmp_path}"\n' + toml, encoding="utf-8")
    plugins = Plugins(new_manager())
    settings = load(cfg, sections=plugins.settings_sections(), channels=plugins.channel_names())
    station = settings.station("r1", "t1")
    assert station is not None and station.fiscal == "training"
