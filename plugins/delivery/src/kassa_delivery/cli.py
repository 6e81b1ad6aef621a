"""``kassa delivery jobs``: the queue as the running hub sees it (through its API, with the
hub's admin token), so a person sees what waits and why without opening the console."""

from __future__ import annotations

import json
from typing import Any

import click

from kassa_delivery.texts import t

STATUS = {"queued": "в очереди", "fiscalised": "пробит", "failed": "ошибка",
          "skipped": "без чека"}
COPY = {"sent": "отправлена", "not_sent": "не отправлена", "ofd": "через ОФД",
        "pending": "отправляется", "unknown": "могла не дойти"}


def _line(j: dict[str, Any], locale: str) -> str:
    rub = f"{j['amount'] // 100}.{j['amount'] % 100:02d}"
    status = STATUS.get(j["status"], j["status"]) if locale == "ru" else j["status"]
    if j.get("kind") == "refund":  # the money went back: say so before the status
        status = ("возврат, " if locale == "ru" else "refund, ") + status
    out = f"#{j['job_id']:<5} {j['order_id']:<12} {j['driver']:<10} {rub:>10} {status}"
    if j["fiscal"]:
        out += f"  ФД {j['fiscal']['fd']} ФП {j['fiscal']['fp']}"
    if j["waiting"]:
        out += f"  ждёт {j['waiting']['minutes']} мин: {j['waiting']['reason']}"
    if j["error"]:
        out += f"  {j['error']}"
    copy = j["copy"]
    if copy["status"] not in ("none",):
        shown = COPY.get(copy["status"], copy["status"]) if locale == "ru" else copy["status"]
        out += f"  копия: {shown}" + (f" ({copy['reason']})" if copy["reason"] else "")
    return out


@click.group("delivery", help="Удалённая фискализация для водителей доставки.")
def delivery() -> None:
    pass


@delivery.command("jobs", help="Задания очереди (новые сверху).")
@click.option("--status", type=click.Choice(["queued", "fiscalised", "failed", "skipped"]))
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 500))
@click.option("--url", default=None, help="адрес API хаба")
@click.option("--token", default=None, help="токен API хаба")
@click.option("--json", "as_json", is_flag=True, help="как JSON")
@click.option("--locale", default="ru", type=click.Choice(["ru", "en"]))
def jobs(status: str | None, limit: int, url: str | None, token: str | None, as_json: bool,
         locale: str) -> None:
    import httpx
    from kassa.api.address import hub_address

    base, tok = hub_address(url, token)
    params: dict[str, Any] = {"limit": limit} | ({"status": status} if status else {})
    try:
        r = httpx.get(f"{base}/api/delivery/v1/jobs", params=params,
                      headers={"Authorization": f"Bearer {tok}"}, timeout=30)
    except httpx.HTTPError as exc:
        raise click.ClickException(t("delivery.cli.unreachable", locale, url=base,
                                     why=type(exc).__name__)) from None
    if r.status_code != 200:
        try:
            msg = r.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            msg = f"HTTP {r.status_code}"
        raise click.ClickException(msg)
    found = r.json()
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo(t("delivery.cli.no_jobs", locale))
    for j in found:
        click.echo(_line(j, locale))


@delivery.command("drive", help="Имитация водителей: оплаты в API работающего хаба.")
@click.option("--url", default=None, help="адрес API хаба")
@click.option("--key", "api_key", envvar="KASSA_DELIVERY_API_KEY", required=True,
              help="ключ X-Api-Key с правом pay ($KASSA_DELIVERY_API_KEY)")
@click.option("--site", required=True, help="код офиса доставки")
@click.option("--driver", "drivers", multiple=True, required=True, help="id водителя")
@click.option("--count", default=10, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--seed", default=7, show_default=True)
@click.option("--first", default=1, show_default=True, type=click.IntRange(1),
              help="номер первого заказа (W-00001)")
def drive(url: str | None, api_key: str, site: str, drivers: tuple[str, ...], count: int,
          seed: int, first: int) -> None:
    """Each payment once, every contact-chain branch in turn; prints each answer."""
    import random

    import httpx
    from kassa.api.address import hub_address

    from kassa_delivery.demo import demo_payment

    base, _ = hub_address(url, "-")
    rng = random.Random(seed)
    with httpx.Client(base_url=f"{base}/api/delivery/v1", timeout=30,
                      limits=httpx.Limits(keepalive_expiry=1.0)) as http:
        for n in range(first, first + count):
            body = demo_payment(rng, n, site)
            body["driver"] = drivers[n % len(drivers)]
            try:
                r = http.post("/payments", json=body,
                              headers={"X-Api-Key": api_key, "Idempotency-Key":
                                       f"drive-{seed}-{n}"})
            except httpx.HTTPError as exc:
                raise click.ClickException(t("delivery.cli.unreachable", "ru", url=base,
                                             why=type(exc).__name__)) from None
            got = r.json()
            if r.status_code == 202:
                click.echo(f"{body['order_id']}: задание {got['job_id']} ({got['status']})")
            else:
                click.echo(f"{body['order_id']}: {r.status_code} {got['error']['code']}: "
                           f"{got['error']['message']}", err=True)
