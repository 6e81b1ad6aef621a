"""``kassa max ...`` commands. Heavy imports stay inside the commands."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import click
from kassa.simulate import toml_pairs

DEFAULT_PORT = 8082  # fixed, so a restarted simulator keeps the printed block valid


@click.group("max")
def max_group() -> None:
    """MAX Bot API: a simulator to point a hub at."""


@max_group.command("simulate")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port of the simulated MAX API (0: a free one).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--site", "sites", multiple=True, default=("r1",), show_default=True,
              help="Site code; one group per site (repeat the option for more).")
@click.option("--rate-limits/--no-rate-limits", default=True, show_default=True,
              help="Answer 429 above 30 requests/s and long polls above 2/s.")
@click.option("--seed", type=int, default=1, show_default=True,
              help="The same seed gives the same token and ids, so the block stays valid.")
def simulate(port: int, host: str, sites: tuple[str, ...], rate_limits: bool,
             seed: int) -> None:
    """Run a simulated MAX Bot API until Ctrl+C, with a bot, people and groups."""
    from kassa.simulate import serve

    from kassa_max.demo import MaxDemoSimulator

    serve(lambda: MaxDemoSimulator(list(dict.fromkeys(sites)), host=host, port=port,
                                 seed=seed, rate_limits=rate_limits),
          what="the MAX simulator", host=host, port=port,
          render=lambda fragment, sim: render(fragment, sim, rate_limits),
          summary=lambda sim: "# stopped; what each chat received: "
          + json.dumps(sim.summary(), ensure_ascii=False))


def render(fragment: Mapping[str, Any], simulator: Any, rate_limits: bool) -> str:
    """The kassa.toml block, then what the simulator does and how to talk to the bot, as TOML
    comments (so the whole output can be pasted or parsed as TOML)."""
    world = simulator.sim.world
    base = fragment["max"]["base_url"]
    lines = [f"# MAX Bot API simulator at {base}; paste this into kassa.toml:", "",
             "[max]", *toml_pairs(fragment["max"])]
    for chat in fragment["chats"]:
        lines += ["", "[[chats]]", *toml_pairs(chat)]
    owner = next(iter(world.users.values()))
    first = fragment["chats"][0]
    chat_id = first["chat_id"]
    lines += [
        "",
        f"# The bot @{world.bot.username}; people: "
        + ", ".join(f"{u.first_name} {u.last_name} (id {u.user_id})"
                    for u in world.users.values()),
        "# Groups (the bot is an admin with read_all_messages in each): "
        + ", ".join(f"{c['name']} (id {c['chat_id']})" for c in fragment["chats"]),
        "# It answers the MAX API as MAX does (Authorization header, {code, message} errors,"
        + (" long polls, 429 limits)" if rate_limits else " long polls; rate limits off)")
        + " and waits for a person to act. Talk to the bot through the control API:",
        f"#   {owner.first_name} says /status in {first['name']}:",
        f"#     curl -s -X POST {base}/_sim/say "
        f"-d '{{\"chat_id\": {chat_id}, \"user_id\": {owner.user_id}, \"text\": \"/status\"}}'",
        "#   what the bot sent there (mids, texts, keyboards):",
        f"#     curl -s '{base}/_sim/received?chat_id={chat_id}'",
        "#   press a button (mid and payload from the list above):",
        f"#     curl -s -X POST {base}/_sim/press -d '{{\"chat_id\": {chat_id}, "
        f"\"mid\": \"MID\", \"payload\": \"PAYLOAD\", \"user_id\": {owner.user_id}}}'",
        f"#   everything: curl -s {base}/_sim/state  (docs/plugins/max.md lists the rest)",
        "# Running; Ctrl+C stops the simulator.",
    ]
    return "\n".join(lines)


