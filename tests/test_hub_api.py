"""HubAPI for plugins that own state: the per-plugin state slot, typed settings sections,
component lookup by concern and name, and the public fast write."""

from __future__ import annotations

import sys

import attrs
import pytest
from kassa import hookimpl
from kassa.testing import CaptureChannel, ComponentsPlugin, ScriptedSource, make_hub
from sqlalchemy import text

from tests.factories import CONFIG

pytestmark = pytest.mark.anyio


@attrs.define
class AcmeSettings:
    port: int = 1
    name: str = "acme"


class Acme:
    @hookimpl
    def register_settings(self):
        return {"acme": AcmeSettings}


async def test_state_is_one_dict_per_plugin_and_per_hub(tmp_path):
    async with make_hub(CONFIG, tmp_path / "a") as a, make_hub(CONFIG, tmp_path / "b") as b:
        a.state("acme")["n"] = 1
        assert a.state("acme") is a.state("acme") and a.state("acme") == {"n": 1}
        assert a.state("other") == {} and b.state("acme") == {}
        assert a.state(sys.modules[__name__]) is a.state(__name__)  # a module: its name
        with pytest.raises(TypeError, match="plugin's name or its module"):
            a.state(3)


async def test_section_is_typed_and_defaulted(tmp_path):
    async with make_hub({**CONFIG, "acme": {"port": 7}}, tmp_path, plugins=[Acme()]) as hub:
        got = hub.section("acme", AcmeSettings)
        assert isinstance(got, AcmeSettings) and got.port == 7
        assert hub.section("acme") is got
        with pytest.raises(TypeError, match=r"section \[acme\] holds AcmeSettings, not Other"):
            hub.section("acme", type("Other", (), {}))
    async with make_hub(CONFIG, tmp_path / "2", plugins=[Acme()]) as hub:
        assert hub.section("acme", AcmeSettings) == AcmeSettings()  # absent: the defaults
        assert hub.section("unregistered") is None
        assert hub.section("unregistered", AcmeSettings) == AcmeSettings()


async def test_components_by_concern_and_name(tmp_path):
    ch = CaptureChannel("cap")
    src = ScriptedSource([], name="till-1")
    async with make_hub(CONFIG, tmp_path, plugins=[ComponentsPlugin(channels=[ch],
                                                                    sources=[src])]) as hub:
        assert hub.component("channel", "cap") is ch
        assert hub.component("source", "till-1") is src
        assert ch in hub.components("channel") and hub.components("fiscal") == []
        with pytest.raises(LookupError, match=r"no channel component named 'nope' "
                                              r"\(registered: .*cap.*\)"):
            hub.component("channel", "nope")
        with pytest.raises(LookupError, match="unknown concern 'printer'; one of: source"):
            hub.components("printer")


async def test_write_sync_through_the_hub(tmp_path):
    async with make_hub(CONFIG, tmp_path) as hub:
        def put(conn):
            conn.execute(text("INSERT INTO cursors (name, position, updated_at) "
                              "VALUES ('acme', 5, :at)"), {"at": hub.clock.now()})
            return conn.execute(text("SELECT position FROM cursors WHERE name = 'acme'")
                                ).scalar_one()

        assert await hub.write_sync(put) == 5
        async with hub.store.read() as conn:
            assert (await conn.execute(text(
                "SELECT count(*) FROM cursors WHERE name = 'acme'"))).scalar_one() == 1
