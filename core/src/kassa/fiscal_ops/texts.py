"""What people read from fiscal operations (CLI, API errors, chat replies), ru and en.
Kept here, not in the core catalogue: the CLI renders them without building a hub."""

from __future__ import annotations

import re
from typing import Any

RU: dict[str, str] = {
    "err.site": "Точки с кодом «{site}» нет в kassa.toml.",
    "err.register": "Кассы «{register}» нет среди подключённых (есть: {known}).",
    "err.not_site": "Касса «{register}» не обслуживает точку «{site}».",
    "err.none": "Для точки «{site}» не настроена касса.",
    "err.ambiguous": "Касс несколько ({known}): укажите точку и кассу.",
    "err.closed": "Смена на кассе «{register}» закрыта: сначала откройте смену.",
    "err.open": "Смена на кассе «{register}» уже открыта.",
    "err.retry": "Касса «{register}» сейчас не может это сделать ({reason}); повторите позже.",
    "err.unknown": "Неизвестно, выполнила ли касса «{register}» операцию: повторите команду "
                   "с тем же ключом {key} — дважды она не выполнится.",
    "err.failed": "Касса «{register}» отказала: {reason}.",
    "err.hub": "Хаб недоступен: {error}.",
    "err.amount": "Сумма должна быть больше нуля, в рублях, например 1500 или 1500,50.",
    "err.qr_extra": "Чтобы показать QR-код, установите дополнение: pip install 'kassa[qr]'.",
    "err.no_doc": "Касса «{register}» ещё не выдала ни одного документа через Kassa.",
    "err.no_qr": "У кассы «{register}» ещё нет чека с QR-кодом.",
    "err.pick_site": "Укажите точку: /{cmd} КОД (точки: {sites}).",
    "err.unreachable": "касса не отвечает: {error}",
    "err.correction_field": "Чек коррекции: «{value}» не подходит для поля {field}; можно: "
                            "{known}.",
    "err.basis_date": "Чек коррекции: дата основания (1178) «{value}» не дата; укажите её как "
                      "ДД.ММ.ГГГГ или ГГГГ-ММ-ДД.",
    "st.title": "Касса «{register}», точка {site}",
    "st.shift_open": "Смена №{shift} открыта {hours} ч назад (с {since})",
    "st.shift_expired": "Смена №{shift} открыта больше 24 ч — закройте смену (Z-отчёт)!",
    "st.shift_closed": "Смена закрыта",
    "st.fn": "ФН {fn}: действует до {until} (осталось {days} дн.)",
    "st.fn_plain": "ФН {fn}",
    "st.fn_used": "ФН заполнен на {percent}%",
    "st.fn_full": "ФН заполнен или истёк: замените ФН!",
    "st.ofd_none": "Все документы переданы в ОФД",
    "st.ofd": "Не передано в ОФД: {count}, самый старый — {hours} ч",
    "st.paper_ok": "Бумага есть",
    "st.paper_out": "Нет бумаги!",
    "st.message": "Касса сообщает: {message}",
    "doc.open_shift": "Смена №{shift} открыта на кассе «{register}» (ФД №{number}).",
    "doc.close_shift": "Смена №{shift} закрыта на кассе «{register}», Z-отчёт напечатан "
                       "(ФД №{number}).",
    "doc.x_report": "X-отчёт напечатан на кассе «{register}» (смена №{shift}).",
    "doc.cash_in": "Внесение {amount} на кассе «{register}» выполнено.",
    "doc.cash_out": "Выплата {amount} с кассы «{register}» выполнена.",
    "doc.correction": "Чек коррекции на {amount} пробит на кассе «{register}» (ФД №{number}, "
                      "ФП {sign}).",
    "doc.replayed": "Это повтор: касса уже выполнила эту операцию и второй раз её не делала.",
    "doc.last": "Последний документ кассы «{register}»: {kind} от {when}",
    "doc.fields": "ФД №{number}, ФП {sign}, ФН {fn}, смена №{shift}, чек №{receipt}, "
                  "сумма {amount}",
    "kind.receipt": "чек", "kind.correction": "чек коррекции", "kind.shift_open":
    "открытие смены", "kind.shift_close": "закрытие смены (Z-отчёт)", "kind.x_report":
    "X-отчёт", "kind.cash_in": "внесение", "kind.cash_out": "выплата", "kind.text": "текст",
    "chat.x_help": "X-отчёт на кассе точки",
    "chat.z_help": "закрыть смену кассы (Z-отчёт)",
    "al.shift_long": "Смена №{shift} на кассе «{register}» открыта {hours} ч: закройте её "
                     "(Z-отчёт) до {until}, иначе касса перестанет пробивать чеки.",
    "al.shift_expired": "Смена №{shift} на кассе «{register}» открыта больше 24 ч: касса не "
                        "пробивает чеки, закройте смену (Z-отчёт).",
    "al.fn_expiring": "ФН {fn} кассы «{register}» действует до {until} (осталось {days} дн.): "
                      "закажите замену.",
    "al.fn_filling": "ФН {fn} кассы «{register}» заполнен на {percent}%: закажите замену.",
    "al.fn_full": "ФН {fn} кассы «{register}» заполнен или истёк: касса не пробивает чеки, "
                  "замените ФН.",
    "al.ofd_unsent": "Касса «{register}» не передала в ОФД {count} док., самый старый — {hours} "
                     "ч: проверьте интернет на кассе.",
    "al.ofd_overdue": "Касса «{register}» не передаёт документы в ОФД уже {days} дн.: с 30 дней "
                      "ФН блокируется и грозит штраф.",
    "al.paper_out": "На кассе «{register}» кончилась бумага.",
    "al.paper_loaded": "На кассу «{register}» заправлена бумага.",
    "al.offline": "Касса «{register}» не отвечает: {error}.",
    "al.online": "Касса «{register}» снова на связи.",
}

EN: dict[str, str] = {
    "err.site": "There is no site with code “{site}” in kassa.toml.",
    "err.register": "There is no register “{register}” connected (there are: {known}).",
    "err.not_site": "Register “{register}” does not serve site “{site}”.",
    "err.none": "No register is configured for site “{site}”.",
    "err.ambiguous": "There are several registers ({known}): name the site and the register.",
    "err.closed": "The shift on register “{register}” is closed: open the shift first.",
    "err.open": "The shift on register “{register}” is already open.",
    "err.retry": "Register “{register}” cannot do it now ({reason}); try again later.",
    "err.unknown": "It is not known whether register “{register}” did it: repeat the command "
                   "with the same key {key}; it will not run twice.",
    "err.failed": "Register “{register}” refused: {reason}.",
    "err.hub": "The hub is unreachable: {error}.",
    "err.amount": "The amount must be above zero, in rubles, e.g. 1500 or 1500.50.",
    "err.qr_extra": "To show the QR code install the extra: pip install 'kassa[qr]'.",
    "err.no_doc": "Register “{register}” has issued no document through Kassa yet.",
    "err.no_qr": "Register “{register}” has no receipt with a QR code yet.",
    "err.pick_site": "Name the site: /{cmd} CODE (sites: {sites}).",
    "err.unreachable": "the register does not answer: {error}",
    "err.correction_field": "Correction receipt: “{value}” does not fit field {field}; one "
                            "of: {known}.",
    "err.basis_date": "Correction receipt: the basis date (1178) “{value}” is not a date; give "
                      "it as DD.MM.YYYY or YYYY-MM-DD.",
    "st.title": "Register “{register}”, site {site}",
    "st.shift_open": "Shift {shift} open for {hours} h (since {since})",
    "st.shift_expired": "Shift {shift} has been open over 24 h: close it (Z report)!",
    "st.shift_closed": "Shift closed",
    "st.fn": "FN {fn}: valid until {until} ({days} days left)",
    "st.fn_plain": "FN {fn}",
    "st.fn_used": "FN {percent}% full",
    "st.fn_full": "FN full or expired: replace the FN!",
    "st.ofd_none": "Every document is sent to the OFD",
    "st.ofd": "Not sent to the OFD: {count}, the oldest {hours} h old",
    "st.paper_ok": "Paper loaded",
    "st.paper_out": "Paper out!",
    "st.message": "The register says: {message}",
    "doc.open_shift": "Shift {shift} opened on register “{register}” (FD {number}).",
    "doc.close_shift": "Shift {shift} closed on register “{register}”, Z report printed "
                       "(FD {number}).",
    "doc.x_report": "X report printed on register “{register}” (shift {shift}).",
    "doc.cash_in": "Cash in of {amount} done on register “{register}”.",
    "doc.cash_out": "Cash out of {amount} done on register “{register}”.",
    "doc.correction": "Correction receipt of {amount} printed on register “{register}” "
                      "(FD {number}, FS {sign}).",
    "doc.replayed": "A repeat: the register had already done it and did not do it again.",
    "doc.last": "Last document of register “{register}”: {kind} at {when}",
    "doc.fields": "FD {number}, FS {sign}, FN {fn}, shift {shift}, receipt {receipt}, "
                  "total {amount}",
    "kind.receipt": "receipt", "kind.correction": "correction receipt", "kind.shift_open":
    "shift open", "kind.shift_close": "shift close (Z report)", "kind.x_report": "X report",
    "kind.cash_in": "cash in", "kind.cash_out": "cash out", "kind.text": "text",
    "chat.x_help": "X report on the site's register",
    "chat.z_help": "close the register shift (Z report)",
    "al.shift_long": "Shift {shift} on register “{register}” has been open {hours} h: close "
                     "it (Z report) before {until} or the register stops printing receipts.",
    "al.shift_expired": "Shift {shift} on register “{register}” has been open over 24 h: the "
                        "register refuses receipts, close the shift (Z report).",
    "al.fn_expiring": "FN {fn} of register “{register}” is valid until {until} ({days} days "
                      "left): order a replacement.",
    "al.fn_filling": "FN {fn} of register “{register}” is {percent}% full: order a "
                     "replacement.",
    "al.fn_full": "FN {fn} of register “{register}” is full or expired: the register refuses "
                  "receipts, replace the FN.",
    "al.ofd_unsent": "Register “{register}” has {count} documents not sent to the OFD, the "
                     "oldest {hours} h old: check the register's internet link.",
    "al.ofd_overdue": "Register “{register}” has sent nothing to the OFD for {days} days: at "
                      "30 days the FN blocks and fines apply.",
    "al.paper_out": "Register “{register}” is out of paper.",
    "al.paper_loaded": "Paper is loaded in register “{register}”.",
    "al.offline": "Register “{register}” does not answer: {error}.",
    "al.online": "Register “{register}” is back online.",
}

TEXTS = {"ru": RU, "en": EN}


def say(key: str, locale: str = "ru", /, **kw: Any) -> str:
    """The text for ``key`` in ``locale`` (Russian when missing), filled with ``kw``."""
    text = TEXTS.get(locale, RU).get(key) or RU.get(key) or key
    return text.format(**kw)


def template(key: str, locale: str) -> str:
    """The text as an event-kind template: the site and time first, then the text with each
    ``{name}`` read from the event's ``data``."""
    body = re.sub(r"\{([a-z_]+)\}", r"{data[\1]}", TEXTS[locale][key])
    return "{site}, {time}\n" + body
