"""Client service at the till: issue a loyalty card, the guest's questionnaire (only with
consent), the bonus balance, block a lost card, replace a card (the balance moves).

Everything goes through the core's loyalty contract: the programme the till uses must also
be a ``kassa.hookspecs.loyalty.GuestService`` (the bonus plugin's is; Lime's is not), so the
till never imports a loyalty plugin. Each write carries the till's key (saved by the caller
before the call): a retry after a timeout or a crash issues, blocks or replaces once.
Cashier actions are rights-checked (``Right.ISSUE_CARD`` / ``Right.BLOCK_CARD``) and
audited (``pos_card_issued`` / ``pos_card_blocked``) with the card masked and no personal
data in the event.

The questionnaire's extra questions (``[[pos.questions]]``: an id, the text the cashier
reads, answers each naming the consumer group it puts the guest in) set the guest's groups;
groups that no question manages are left as the programme has them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from attrs import field, frozen
from kassa.errors import ConfigError, UserError
from kassa.hookspecs.loyalty import GuestService
from kassa.model import Guest
from kassa.model.money import format_amount

from kassa_pos.engine import audit
from kassa_pos.engine.rights import AccessDenied, Person, Right, Rights
from kassa_pos.kinds import Kind

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "no_service": "Программа лояльности «{name}» не обслуживает карты на кассе.",
        "no_program": "На кассе нет программы лояльности, которая выдаёт карты.",
        "consent": "Без согласия гостя на обработку персональных данных анкету сохранить "
                   "нельзя.",
        "question": "В анкете нет вопроса «{value}».",
        "answer": "На вопрос «{question}» нет ответа «{value}»; варианты: {known}.",
        "email": "Адрес почты «{value}» не похож на адрес: нужен вид имя@домен.",
        "name": "Имя — от 1 до 200 знаков.",
        "birthday": "Дата рождения {value} невозможна.",
        "card": "Номер карты — от 1 до 64 знаков без пробелов.",
        "same_card": "Новая карта должна отличаться от старой.",
        "reason": "Укажите причину блокировки карты.",
        "summary": "{name} · бонусов: {points}",
        "summary_offline": "{name} · по справочнику магазина, без бонусов",
        "anonymous": "Гость без анкеты",
        "q_rule": "вопрос анкеты {id}: {problem}",
        "q_table": "ожидается таблица с id, text и answers",
        "q_id": "нужен id (строка)",
        "q_twice": "id уже занят другим вопросом",
        "q_text": "нужен текст вопроса (text)",
        "q_answers": "нужны ответы (answers = {{ \"да\" = \"группа\", ... }})",
        "q_list": "ожидается список вопросов ([[pos.questions]])",
    },
    "en": {
        "no_service": "Loyalty programme {name!r} does not serve cards at the till.",
        "no_program": "The till has no loyalty programme that issues cards.",
        "consent": "The questionnaire cannot be saved without the guest's consent to the "
                   "processing of personal data.",
        "question": "The questionnaire has no question {value!r}.",
        "answer": "Question {question!r} has no answer {value!r}; choose one of: {known}.",
        "email": "{value!r} does not look like an e-mail address (name@domain).",
        "name": "A name is 1 to 200 characters.",
        "birthday": "Date of birth {value} is not possible.",
        "card": "A card number is 1 to 64 characters without spaces.",
        "same_card": "The new card must differ from the old one.",
        "reason": "Give the reason the card is blocked.",
        "summary": "{name} · points: {points}",
        "summary_offline": "{name} · from the store's register, no points",
        "anonymous": "Guest without a questionnaire",
        "q_rule": "questionnaire question {id}: {problem}",
        "q_table": "expected a table with id, text and answers",
        "q_id": "an id (a string) is needed",
        "q_twice": "another question has this id",
        "q_text": "the question's text is needed",
        "q_answers": "answers are needed (answers = {{ \"yes\" = \"group\", ... }})",
        "q_list": "expected a list of questions ([[pos.questions]])",
    },
}


def _answers(value: Mapping[str, str]) -> dict[str, str]:
    return dict(value)


@frozen(kw_only=True)
class Question:
    """An extra question: ``answers`` maps each answer to the consumer group it puts the
    guest in ("" for none)."""

    id: str
    text: str
    answers: dict[str, str] = field(converter=_answers)

    @property
    def groups(self) -> frozenset[str]:
        return frozenset(g for g in self.answers.values() if g)


def _plain(value: Mapping[str, str]) -> dict[str, str]:
    return dict(value)


@frozen(kw_only=True)
class Questionnaire:
    """What the cashier entered. ``consent``: the guest agreed to the processing of the
    data; ``False`` with nothing else withdraws it (the programme erases the data).
    ``None`` fields keep what is stored; ``answers``: question id -> answer."""

    consent: bool
    name: str | None = None
    email: str | None = None
    birthday: date | None = None
    answers: dict[str, str] = field(factory=dict, converter=_plain)

    @property
    def empty(self) -> bool:
        return self.name is None and self.email is None and self.birthday is None \
            and not self.answers


@frozen
class GuestCard:
    """What the guest panel shows after a card scan. ``offline``: found in the store's
    client register while the programme was out of reach (``engine/client_register.py``):
    no balance, no bonus."""

    guest: Guest
    balance: int  # bonus points that can be spent now, hundredths
    offline: bool = False

    def summary(self, locale: str = "ru") -> str:
        texts = TEXTS.get(locale, TEXTS["ru"])
        name = self.guest.name or texts["anonymous"]
        if self.offline:
            return texts["summary_offline"].format(name=name)
        return texts["summary"].format(name=name, points=format_amount(self.balance, locale))


def load_questions(raw: Any, *, locale: str = "ru", path: str = "pos.questions"
                   ) -> tuple[Question, ...]:
    """``[[pos.questions]]`` -> questions; a broken one is a ``ConfigError`` naming it."""
    texts = TEXTS.get(locale, TEXTS["ru"])
    if not isinstance(raw, list):
        raise ConfigError(texts["q_list"], path=path)
    out: list[Question] = []
    for i, item in enumerate(raw):
        label = item.get("id") if isinstance(item, Mapping) else None

        def bad(key: str, problem: str, i: int = i, label: Any = label) -> ConfigError:
            return ConfigError(texts["q_rule"].format(id=f"«{label}»" if label else f"#{i + 1}",
                                                      problem=texts[problem]),
                               path=f"{path}[{i}]" + (f".{key}" if key else ""))

        if not isinstance(item, Mapping) or set(item) - {"id", "text", "answers"}:
            raise bad("", "q_table")
        qid, text, answers = item.get("id"), item.get("text"), item.get("answers")
        if not isinstance(qid, str) or not qid.strip():
            raise bad("id", "q_id")
        if any(q.id == qid for q in out):
            raise bad("id", "q_twice")
        if not isinstance(text, str) or not text.strip():
            raise bad("text", "q_text")
        if not isinstance(answers, Mapping) or not answers or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in answers.items()):
            raise bad("answers", "q_answers")
        out.append(Question(id=qid, text=text.strip(), answers=answers))
    return tuple(out)


def mask(card: str) -> str:
    """What an audit event names a card by: its last four characters."""
    return "…" + card[-4:]


class ClientService:
    """The till's client service over one loyalty programme that is a ``GuestService``.

    ``rights`` and ``hub`` (for the audit) are optional so the service can be used headless
    (tests, a kiosk); the Till facade gives both. ``actor``: who is at the till."""

    def __init__(self, program: Any, *, questions: Sequence[Question] = (),
                 rights: Rights | None = None, hub: Any = None, site: str = "",
                 till: str = "", locale: str = "ru") -> None:
        self.texts = TEXTS.get(locale, TEXTS["ru"])
        if not isinstance(program, GuestService):
            raise UserError(self.texts["no_service"].format(name=getattr(program, "name", "?")))
        self.program: Any = program
        self.questions = {q.id: q for q in questions}
        self.rights = rights
        self.hub = hub
        self.site = site
        self.till = till
        self.locale = locale

    @classmethod
    def of(cls, hub: Any, till: str, *, program: str | None = None, locale: str = "ru",
           questions: Sequence[Question] | None = None) -> ClientService:
        """The hub's: the named loyalty programme (or the first that is a GuestService),
        ``[pos]``'s rights and questions (``questions`` given: those instead)."""
        if program is not None:
            chosen = hub.component("loyalty", program)
        else:
            chosen = next((p for p in hub.components("loyalty")
                           if isinstance(p, GuestService)), None)
            if chosen is None:
                raise UserError(TEXTS.get(locale, TEXTS["ru"])["no_program"])
        section = hub.section("pos")
        if questions is None:
            questions = load_questions(list(getattr(section, "questions", None) or []),
                                       locale=locale)
        site = getattr(section, "store", "") or hub.settings.sites[0].code
        return cls(chosen, questions=questions, rights=Rights.from_settings(section, locale=locale),
                   hub=hub, site=site, till=till, locale=locale)

    # --- reads --------------------------------------------------------------------------------
    async def show(self, identifier: str) -> GuestCard | None:
        """The guest a scanned card (phone, QR) names and the balance, or None for a
        stranger; a blocked card is the programme's ``UserError`` with its reason."""
        guest = await self.program.identify(identifier.strip())
        if guest is None:
            return None
        return GuestCard(guest, await self.program.balance(guest.id))

    # --- writes -------------------------------------------------------------------------------
    async def issue(self, card: str, key: str, actor: Person | None = None,
                    manager: Person | None = None) -> GuestCard:
        card = self._card(card)
        await self._allow(actor, Right.ISSUE_CARD, manager)
        guest = await self.program.issue_card(card, key)
        await self._audit(Kind.CARD_ISSUED, f"pos:client:{key}", actor, manager,
                          card=mask(card), guest=guest.id)
        return await self._card_of(guest)

    async def save(self, guest: Guest, form: Questionnaire, key: str,
                   actor: Person | None = None, manager: Person | None = None) -> GuestCard:
        """Enter or edit the questionnaire of ``guest`` (as the till last read it: its
        groups are the ones the answers change); refused as a whole (nothing stored)
        without consent, or with an unknown question or answer."""
        if not form.consent and not form.empty:
            raise UserError(self.texts["consent"])
        name = self._name(form.name)
        email = self._email(form.email)
        if form.birthday is not None and not date(1900, 1, 1) <= form.birthday <= date.today():
            raise UserError(self.texts["birthday"].format(value=form.birthday.isoformat()))
        groups = self._groups(guest, form.answers) if form.answers else None
        await self._allow(actor, Right.ISSUE_CARD, manager)
        saved = await self.program.update_guest(guest.id, key, consent=form.consent,
                                                name=name, email=email,
                                                birthday=form.birthday, groups=groups)
        return await self._card_of(saved)

    async def block(self, card: str, reason: str, key: str, actor: Person | None = None,
                    manager: Person | None = None) -> GuestCard:
        card = self._card(card)
        if not reason.strip():
            raise UserError(self.texts["reason"])
        await self._allow(actor, Right.BLOCK_CARD, manager)
        guest = await self.program.block_card(card, reason.strip(), key)
        await self._audit(Kind.CARD_BLOCKED, f"pos:client:{key}", actor, manager,
                          card=mask(card), guest=guest.id, reason=reason.strip())
        return await self._card_of(guest)

    async def replace(self, old: str, new: str, key: str, actor: Person | None = None,
                      manager: Person | None = None, reason: str = "замена карты"
                      ) -> GuestCard:
        """The old card retired and the new one given, the balance with it (one write at
        the programme); the guest panel then shows the new card's balance."""
        old, new = self._card(old), self._card(new)
        if old == new:
            raise UserError(self.texts["same_card"])
        await self._allow(actor, Right.BLOCK_CARD, manager)
        await self._allow(actor, Right.ISSUE_CARD, manager)
        guest = await self.program.replace_card(old, new, key, reason)
        await self._audit(Kind.CARD_BLOCKED, f"pos:client:{key}:old", actor, manager,
                          card=mask(old), guest=guest.id, reason=reason, replaced_by=mask(new))
        await self._audit(Kind.CARD_ISSUED, f"pos:client:{key}:new", actor, manager,
                          card=mask(new), guest=guest.id, replaces=mask(old))
        return await self._card_of(guest)

    # --- the parts ----------------------------------------------------------------------------
    async def _card_of(self, guest: Guest) -> GuestCard:
        return GuestCard(guest, await self.program.balance(guest.id))

    def _groups(self, guest: Guest, answers: Mapping[str, str]) -> list[str]:
        chosen: set[str] = set()
        for qid, answer in answers.items():
            q = self.questions.get(qid)
            if q is None:
                raise UserError(self.texts["question"].format(value=qid))
            if answer not in q.answers:
                raise UserError(self.texts["answer"].format(
                    question=q.text, value=answer, known=", ".join(q.answers)))
            chosen.add(q.answers[answer])
        answered = frozenset().union(*(self.questions[qid].groups for qid in answers))
        # an answered question's groups are replaced; the others are left as they are
        return sorted((set(guest.groups) - answered) | (chosen - {""}))

    def _card(self, card: str) -> str:
        card = (card or "").strip()
        if not card or len(card) > 64 or any(c.isspace() for c in card):
            raise UserError(self.texts["card"])
        return card

    def _name(self, name: str | None) -> str | None:
        if name is None:
            return None
        name = " ".join(name.split())
        if not name or len(name) > 200:
            raise UserError(self.texts["name"])
        return name

    def _email(self, email: str | None) -> str | None:
        if email is None:
            return None
        email = email.strip()
        local, at, domain = email.partition("@")
        if not at or not local or "." not in domain or any(c.isspace() for c in email):
            raise UserError(self.texts["email"].format(value=email))
        return email

    async def _allow(self, actor: Person | None, right: Right, manager: Person | None
                     ) -> None:
        if self.rights is None or actor is None:
            return
        try:
            self.rights.authorize(actor, right, manager)
        except AccessDenied as denied:
            await self._audit(Kind.ACTION_DENIED, None, actor, manager, right=right.value,
                              reason=str(denied))
            raise

    async def _audit(self, kind: Kind, key: str | None, actor: Person | None,
                     manager: Person | None, **detail: Any) -> None:
        if self.hub is None:
            return
        await audit.record(self.hub, kind, site=self.site, till=self.till or None,
                           actor=actor, manager=manager, key=key, **detail)
