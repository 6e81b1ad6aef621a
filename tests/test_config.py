"""kassa.toml errors name the file, the key path and what was expected."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from kassa.cli import cli
from kassa.config import load, parse
from kassa.errors import ConfigError


@pytest.mark.parametrize(("data", "message"), [
    ({"api": {"port": "80a"}}, 'kassa.toml: api.port: expected an integer, got "80a"'),
    ({"sites": [{"code": "a"}, {"code": "b", "nmae": "x"}]},
     "kassa.toml: sites[1].nmae: unknown key (did you mean 'name'?)"),
    ({"hbu": {}}, "kassa.toml: hbu: unknown key (did you mean 'hub'?)"),
    ({"sites": [{"name": "x"}]}, "kassa.toml: sites[0].code: required key is missing"),
    ({"sites": [{"code": "a"}], "chats": [{"channel": "telegram", "chat_id": "1", "site": "b"}]},
     "kassa.toml: chats[0].site: no site with code 'b' in [[sites]], got \"b\""),
    ({"chats": [{"channel": "telegram", "chat_id": "1"}]},
     'kassa.toml: chats[0]: a chat needs either site = "..." or owners = true'),
    ({"bus": {"backend": "kafka"}},
     'kassa.toml: bus.backend: expected one of "memory", "nats", got "kafka"'),
    ({"api": {"token": "${NO_SUCH_VAR}"}},
     "kassa.toml: api.token: environment variable NO_SUCH_VAR is not set"
     " (write ${NO_SUCH_VAR:-} to allow it to be empty)"),
])
def test_errors_name_the_key_path(data, message):
    with pytest.raises(ConfigError) as err:
        parse(data, env={})
    assert str(err.value) == message


def test_secret_from_env_is_never_printed():
    s = parse({"api": {"token": "${TOK}"}}, env={"TOK": "s3cr3t-value"})
    assert s.api.token.reveal() == "s3cr3t-value"
    assert "s3cr3t" not in repr(s) and "s3cr3t" not in str(s.api)


def test_broken_toml_is_one_clear_line(tmp_path):
    f = tmp_path / "kassa.toml"
    f.write_text("[hub\nname = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"kassa.toml: not valid TOML"):
        load(f)


def test_config_check_cli(tmp_path):
    f = tmp_path / "kassa.toml"
    f.write_text('[[sites]]\ncode = "r1"\nname = "Невский"\n', encoding="utf-8")
    ok = CliRunner().invoke(cli, ["config", "check", "-c", str(f)])
    assert ok.exit_code == 0 and "1 sites" in ok.output
    f.write_text('[api]\nport = "x"\n', encoding="utf-8")
    bad = CliRunner().invoke(cli, ["config", "check", "-c", str(f)])
    assert bad.exit_code == 2
    assert 'api.port: expected an integer, got "x"' in bad.output
