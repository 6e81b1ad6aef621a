"""`kassa config check` refuses what `kassa run` would trip on or silently ignore: bad enums,
ranges, time zones, patterns, references between sections, channels no plugin provides; and
``${NAME:-default}`` works as in a shell."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from kassa.cli import cli
from kassa.config import parse
from kassa.errors import ConfigError
from kassa.plugins import Plugins, new_manager

SITE = {"code": "r1"}


def chat(**kw: object) -> dict[str, object]:
    return {"channel": "telegram", "chat_id": "1", "site": "r1", **kw}


@pytest.mark.parametrize(("data", "message"), [
    ({"sites": [SITE], "chats": [chat(min_severity="high")]},
     'chats[0].min_severity: expected one of "info", "notice", "warning", "danger", '
     'got "high"'),
    ({"sites": [SITE], "chats": [chat(min_severity="dangr")]},
     'chats[0].min_severity: expected one of "info", "notice", "warning", "danger", '
     "got \"dangr\" (did you mean 'danger'?)"),
    ({"api": {"port": 99999}},
     "api.port: expected a TCP port, 1..65535 (0: any free port), got 99999"),
    ({"api": {"port": -1}},
     "api.port: expected a TCP port, 1..65535 (0: any free port), got -1"),
    ({"sites": [{"code": "r1", "timezone": "Europe/Moskva"}]},
     'sites[0].timezone: unknown time zone (an IANA name such as "Europe/Moscow"), '
     "got \"Europe/Moskva\" (did you mean 'Europe/Minsk', 'Europe/Moscow' or "
     "'Europe/Monaco'?)"),
    ({"hub": {"role": "centre"}},
     "hub.role: expected one of \"standalone\", \"site\", \"central\", got \"centre\" "
     "(did you mean 'central'?)"),
    ({"hub": {"locale": "de"}}, 'hub.locale: expected one of "ru", "en", got "de"'),
    ({"sites": [SITE], "chats": [chat(locale="english")]},
     'chats[0].locale: expected one of "ru", "en", got "english"'),
    ({"sites": [SITE], "chats": [chat(text="(unclosed")]},
     "chats[0].text: not a valid regular expression (missing ), unterminated subpattern at "
     'position 0), got "(unclosed"'),
    ({"sites": [SITE], "chats": [chat(service_print=["ok", "[x"])]},
     "chats[0].service_print[1]: not a valid regular expression (unterminated character set "
     'at position 0), got "[x"'),
    ({"sites": [SITE], "chats": [chat(min_amount=-5)]},
     "chats[0].min_amount: expected a number >= 0, got -5.0"),
    ({"sites": [SITE], "chats": [chat(site=None, owners=True, threads={"r1x": "7"})]},
     "chats[0].threads.r1x: no site with code 'r1x' in [[sites]] (did you mean 'r1'?)"),
    ({"outbox": {"max_attempts": 0}}, "outbox.max_attempts: expected an integer >= 1, got 0"),
    ({"outbox": {"base_delay": 10, "max_delay": 5}},
     "outbox.max_delay: expected a number >= outbox.base_delay (10), got 5.0"),
    ({"relay": {"batch": 0}}, "relay.batch: expected an integer >= 1, got 0"),
    ({"store": {"url": "mysql://x/y"}},
     'store.url: expected a "sqlite:///..." or "postgresql://..." URL'),
    ({"sites": [{"code": " "}]}, "sites[0].code: expected a non-empty site code"),
])
def test_rules(data, message):
    with pytest.raises(ConfigError) as err:
        parse(data, env={})
    assert str(err.value) == f"kassa.toml: {message}"


def test_channels_are_checked_against_what_plugins_provide():
    data = {"sites": [SITE], "chats": [chat(channel="telgram")]}
    parse(data)  # channels unknown (tests bring their own): not checked
    with pytest.raises(ConfigError) as err:
        parse(data, channels={"telegram", "max"})
    assert str(err.value) == ('kassa.toml: chats[0].channel: no installed plugin provides this '
                              'channel (provided: "max", "telegram"), got "telgram" '
                              "(did you mean 'telegram'?)")
    with pytest.raises(ConfigError, match="provided: none: install kassa-telegram or kassa-max"):
        parse(data, channels=())
    parse({"sites": [SITE], "chats": [chat()]}, channels={"telegram"})


def test_plugins_name_their_channels_by_their_settings_sections():
    """Known without instantiating: a plugin with register_channels provides channels named
    after its top-level sections; a plugin without it (bonus) and per-site sections do not."""
    names = Plugins(new_manager()).channel_names()
    assert {"telegram", "max"} <= names
    assert "bonus" not in names and not any("." in n for n in names)


def test_valid_config_passes():
    s = parse({"api": {"port": 0}, "sites": [{"code": "r1", "timezone": "Asia/Yekaterinburg"}],
               "chats": [chat(min_severity="danger", locale="en", text="отмена|void",
                              min_amount=0)]}, channels={"telegram"})
    assert s.sites[0].timezone == "Asia/Yekaterinburg" and s.chats[0].min_severity == "danger"


@pytest.mark.parametrize(("raw", "env", "value"), [
    ("${TOK:-}", {}, ""),
    ("${TOK:-}", {"TOK": "abc"}, "abc"),
    ("${TOK:-fallback}", {"TOK": ""}, "fallback"),  # as in sh: empty takes the default
    ("${TOK:-fallback}", {}, "fallback"),
    ("a-${TOK:-b}-c", {}, "a-b-c"),
    ("${TOK}", {"TOK": ""}, ""),  # set but empty is a value
])
def test_env_defaults(raw, env, value):
    s = parse({"api": {"token": raw}, "hub": {"name": raw}}, env=env)
    assert s.api.token.reveal() == value and s.hub.name == value


def test_the_documented_token_line_works_with_the_variable_unset():
    s = parse({"api": {"token": "${KASSA_API_TOKEN:-}"}}, env={})
    assert not s.api.token  # empty: the hub generates one into the data folder
    with pytest.raises(ConfigError, match=r"environment variable KASSA_API_TOKEN is not set "
                       r"\(write \$\{KASSA_API_TOKEN:-\} to allow it to be empty\)"):
        parse({"api": {"token": "${KASSA_API_TOKEN}"}}, env={})


def test_config_check_and_run_refuse_the_same(tmp_path):
    f = tmp_path / "kassa.toml"
    f.write_text('[[sites]]\ncode = "r1"\n[[chats]]\nchannel = "telgram"\nchat_id = "1"\n'
                 'site = "r1"\n', encoding="utf-8")
    for args in (["config", "check"], ["run"]):
        out = CliRunner().invoke(cli, [*args, "-c", str(f)])
        assert out.exit_code == 2, out.output
        assert "chats[0].channel: no installed plugin provides this channel" in out.output
        assert "did you mean 'telegram'?" in out.output
