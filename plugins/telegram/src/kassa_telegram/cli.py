"""``kassa telegram ...`` commands. Heavy imports stay inside the commands."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import click
from kassa.simulate import toml_pairs

DEFAULT_PORT = 8081  # the local Bot API server's own default port


@click.group("telegram")
def telegram() -> None:
    """Telegram Bot API: a simulator to point a hub at."""


@telegram.command("simulate")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port of the simulated Bot API (0: a free one).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--site", "sites", multiple=True, default=("r1",), show_default=True,
              help="Site code; one group per site (repeat the option for more).")
@click.option("--rate-limits/--no-rate-limits", default=True, show_default=True,
              help="Answer 429 as Telegram does (1/s per chat, 20/min per group, 30/s).")
@click.option("--seed", type=int, default=1, show_default=True,
              help="The same seed gives the same token and ids, so the block stays valid.")
def simulate(port: int, host: str, sites: tuple[str, ...], rate_limits: bool,
             seed: int) -> None:
    """Run a simulated Telegram Bot API until Ctrl+C, with a bot, people and groups."""
    from kassa.simulate import serve

    from kassa_telegram.sim import TelegramSimulator

    serve(lambda: TelegramSimulator(list(dict.fromkeys(sites)), rate_limits=rate_limits,
                                  host=host, port=port, seed=seed),
          what="the Telegram simulator", host=host, port=port,
          render=lambda fragment, sim: render(fragment, sim, rate_limits),
          summary=lambda sim: "# stopped; what each chat received: "
          + json.dumps(sim.summary(), ensure_ascii=False))


def render(fragment: Mapping[str, Any], simulator: Any, rate_limits: bool) -> str:
    """The kassa.toml block, then what the simulator does and how to talk to the bot, as TOML
    comments (so the whole output can be pasted or parsed as TOML)."""
    sim = simulator.sim
    base = fragment["telegram"]["base_url"]
    lines = [f"# Telegram Bot API simulator at {base}; paste this into kassa.toml:", "",
             "[telegram]", *toml_pairs(fragment["telegram"])]
    for chat in fragment["chats"]:
        lines += ["", "[[chats]]", *toml_pairs(chat)]
    owner = sim.users[int(fragment["chats"][0]["users"][0])]
    first = fragment["chats"][0]
    chat_id = first["chat_id"]
    lines += [
        "",
        f"# The bot @{sim.bot.username}; people: "
        + ", ".join(f"{u.first_name} {u.last_name} (id {u.id})" for u in sim.users.values()),
        "# Groups: " + ", ".join(f"{c['name']} (id {c['chat_id']})" for c in fragment["chats"]),
        "# It answers the Bot API as Telegram does (errors, long polls, webhooks"
        + (", 429 flood limits)" if rate_limits else "; rate limits off)")
        + " and waits for a person to act. Talk to the bot through the control API:",
        f"#   {owner.first_name} says /status in {first['name']}:",
        f"#     curl -s -X POST {base}/_sim/chats/{chat_id}/messages "
        f"-d '{{\"user_id\": {owner.id}, \"text\": \"/status\"}}'",
        "#   what the bot sent there (message ids, texts, buttons):",
        f"#     curl -s {base}/_sim/chats/{chat_id}/received",
        "#   press a button of message 5 (callback_data from the list above):",
        f"#     curl -s -X POST {base}/_sim/chats/{chat_id}/press "
        f"-d '{{\"message_id\": 5, \"user_id\": {owner.id}, \"data\": \"CALLBACK_DATA\"}}'",
        f"#   everything: curl -s {base}/_sim/state  (docs/plugins/telegram.md lists the rest)",
        "# Running; Ctrl+C stops the simulator.",
    ]
    return "\n".join(lines)


