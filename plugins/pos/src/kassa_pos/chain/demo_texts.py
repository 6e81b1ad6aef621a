"""What ``kassa demo --chain`` says (``chain/demo.py``), Russian and English."""

from __future__ import annotations

TEXT = {
    "ru": {
        "no_pg": "Для демо сети нужен PostgreSQL: укажите --pg "
                 "postgresql+psycopg://пользователь@сервер/база (или KASSA_DEMO_PG).",
        "pg_down": "PostgreSQL {url} не отвечает: {error}.",
        "no_nats": "Для демо сети нужен nats-server в PATH (https://nats.io): его нет.",
        "store_died": "Магазин {code} не запустился (код {rc}); журнал: {log}",
        "store_silent": "Поток магазина {code} не появился за {s} с: журнал {log}",
        "start": "Центр: {pg} (схема {schema}), NATS {hub}. Магазины: {stores}. Папка: {dir}",
        "cut": "Связь магазина {code} оборвана (leaf-сервер остановлен).",
        "restore": "Связь магазина {code} восстановлена.",
        "closed": "Магазины закрылись; ждём, пока центр получит всё.",
        "caught": "Центр догнал магазины за {s:.1f} с после закрытия.",
        "behind": "Центр не догнал магазины за {s:.0f} с.",
        "row": "{code}: продажи {sold} на {sold_sum} и возвраты {back} на {back_sum} в "
               "магазине; в центре {c_sold} на {c_sold_sum} и {c_back} на {c_back_sum} — {ok}",
        "same": "совпадает", "differs": "РАСХОЖДЕНИЕ",
        "alerts": "Тревоги центра о связи: {alerts}",
        "none": "нет",
        "ok": "Итоги центра равны итогам магазинов.",
        "kept": "Папка демо оставлена для разбора: {dir}",
        "bad": "ИТОГИ ЦЕНТРА НЕ РАВНЫ ИТОГАМ МАГАЗИНОВ.",
    },
    "en": {
        "no_pg": "The chain demo needs PostgreSQL: pass --pg "
                 "postgresql+psycopg://user@host/db (or set KASSA_DEMO_PG).",
        "pg_down": "PostgreSQL {url} does not answer: {error}.",
        "no_nats": "The chain demo needs nats-server on PATH (https://nats.io): it is not there.",
        "store_died": "Store {code} did not start (exit {rc}); its log: {log}",
        "store_silent": "Store {code}'s stream did not appear within {s} s: log {log}",
        "start": "Centre: {pg} (schema {schema}), NATS {hub}. Stores: {stores}. Folder: {dir}",
        "cut": "Store {code}'s link is cut (its leaf server stopped).",
        "restore": "Store {code}'s link is back.",
        "closed": "The shops closed; waiting for the centre to have everything.",
        "caught": "The centre caught up {s:.1f} s after the shops closed.",
        "behind": "The centre did not catch up within {s:.0f} s.",
        "row": "{code}: sales {sold} for {sold_sum} and returns {back} for {back_sum} in the "
               "store; at the centre {c_sold} for {c_sold_sum} and {c_back} for {c_back_sum} "
               "— {ok}",
        "same": "equal", "differs": "DIFFERENT",
        "alerts": "The centre's link alerts: {alerts}",
        "none": "none",
        "ok": "The centre's totals equal the stores'.",
        "kept": "The demo's folder is kept for a look: {dir}",
        "bad": "THE CENTRE'S TOTALS DIFFER FROM THE STORES'.",
    },
}
