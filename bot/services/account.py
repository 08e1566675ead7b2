"""A person's own settings: language, privacy notice, stopping and resuming, being blocked."""

from __future__ import annotations

from bot.domain.locale import Locale, guess_locale
from bot.domain.menus import Menu, menu_for
from bot.domain.people import PersonStatus, Role, parse_enum
from bot.domain.replies import Choice, Keyboard, Outcome, Reply, rows
from bot.ports import UnitOfWorkFactory
from bot.services.common import Who, person_for

# What the bot cannot take in, by what it is: a grandmother's voice message is answered about
# voice, not with "thank you for your message". Anything else falls back to the ordinary reply.
MEDIA_FORMS = {
    "voice": "voice",
    "audio": "voice",
    "video_note": "video",
    "video": "video",
    "animation": "video",
    "photo": "photo",
    "document": "file",
    "sticker": "sticker",
    "location": "location",
    "venue": "location",
}


class Account:
    def __init__(self, uow: UnitOfWorkFactory, default_locale: Locale) -> None:
        self.uow = uow
        self.default_locale = default_locale

    async def locale_of(self, who: Who) -> str:
        """The language to answer in, without creating anything for a stranger."""
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
        if person is not None:
            return person.locale
        return guess_locale(who.language_code, self.default_locale).value

    async def locale_of_id(self, telegram_id: int) -> str:
        return await self.locale_of(Who(telegram_id))

    async def menu_of(self, telegram_id: int) -> tuple[Menu, str] | None:
        """The command menu a person's role calls for, in their language; None for a
        stranger (they keep the menu every private chat has)."""
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(telegram_id)
            if person is None:
                return None
            staff = await uow.staff.by_telegram_id(telegram_id)
        return menu_for(person.role, staff.role if staff else None), person.locale

    def ask_language(self) -> Outcome:
        return Outcome.of(
            Reply(
                "account/ask_language",
                choices=rows(
                    *(Choice(f"btn.lang.{loc.value}", f"acc:lang:{loc.value}") for loc in Locale),
                    width=2,
                ),
            )
        )

    async def set_language(self, who: Who, value: str) -> tuple[Outcome, str]:
        if parse_enum(Locale, value) is None:
            return Outcome(toast="toast.stale"), await self.locale_of(who)
        async with self.uow() as uow:
            person = await person_for(uow, who, self.default_locale)
            person.locale = value
            await uow.people.save(person)
            await uow.commit()
        return Outcome.of(Reply("account/language_set", keyboard=Keyboard.HELP)), value

    async def privacy(self, who: Who) -> Outcome:
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
        role = person.role.value if person and person.role else ""
        return Outcome.of(
            Reply("account/privacy", {"role": role, "consent": person.consent if person else ""})
        )

    async def ask_stop(self, who: Who) -> Outcome:
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
        if person is None or not person.registered:
            return Outcome.of(Reply("account/nothing_to_stop", keyboard=Keyboard.HELP))
        if person.status is PersonStatus.STOPPED:
            return Outcome.of(Reply("account/already_stopped", keyboard=Keyboard.HELP))
        return Outcome.of(
            Reply(
                "account/ask_stop",
                choices=rows(
                    Choice("btn.stop_yes", "acc:stop:yes"), Choice("btn.stop_no", "acc:stop:no")
                ),
            )
        )

    async def confirm_stop(self, who: Who, value: str) -> Outcome:
        if value == "no":
            return Outcome.of(Reply("account/stop_cancelled"))
        if value != "yes":
            return Outcome(toast="toast.stale")
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if person is None or not person.registered:
                return Outcome(toast="toast.stale")
            if person.status is PersonStatus.STOPPED:
                return Outcome(toast="toast.done_already")
            person.status = PersonStatus.STOPPED
            await uow.people.save(person)
            # "We won't send you more messages" holds for what is queued already, too.
            if person.telegram_id is not None:
                await uow.outbox.cancel_unsolicited(person.telegram_id)
            await uow.commit()
        return Outcome.of(Reply("account/stopped", keyboard=Keyboard.HELP))

    async def mark_unreachable(self, telegram_id: int) -> bool:
        """They blocked the bot (403 or my_chat_member kicked): stop trying until they return."""
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(telegram_id)
            if person is None or person.status is PersonStatus.INACTIVE:
                return False
            person.status = PersonStatus.INACTIVE
            await uow.people.save(person)
            await uow.commit()
        return True

    async def fallback(self, who: Who, nth: int = 0) -> Outcome:
        """Free text that needs nothing: a warm acknowledgement and the way to a person, never
        "I cannot read you". `nth` (the message id, say) picks the wording, so several lines in
        a row are not each met with the identical sentence, deterministically. Three wordings:
        in a private chat the ids of one's own lines go up by two (a reply between each), and
        two does not divide three, so consecutive lines take each wording in turn."""
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
        role = person.role if person is not None else None
        # A child waiting for a guardian's consent is still a child: warm, with the button.
        if role is None or (role is Role.GUARDIAN and not (person and person.registered)):
            return Outcome.of(
                Reply("account/fallback_new", {"variant": nth % 3}, keyboard=Keyboard.HELP)
            )
        data = {"role": role.value, "variant": nth % 3}
        if role is Role.CHILD:
            # The offer as a button on the message itself: one tap, nothing to find.
            talk = rows(Choice("btn.help", "help:counsellor"))
            return Outcome.of(Reply("account/fallback", data, choices=talk))
        return Outcome.of(Reply("account/fallback", data, keyboard=Keyboard.HELP))

    async def media(self, who: Who, kind: str, nth: int = 0) -> Outcome:
        """Something the bot cannot read or hear, sent outside a case: said plainly (a voice
        message cannot be listened to yet), with the way to type instead and the way to a
        person, who can hear it once a case is open. Staff get their usual pointer."""
        form = MEDIA_FORMS.get(kind)
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
        role = person.role if person is not None else None
        if form is None or (role is not None and role.is_staff):
            return await self.fallback(who, nth)
        if role is Role.CHILD:
            talk = rows(Choice("btn.help", "help:counsellor"))
            data = {"form": form, "role": "child"}
            return Outcome.of(Reply("account/media", data, choices=talk))
        known = role is Role.GUARDIAN and person is not None and person.registered
        data = {"form": form, "role": "guardian" if known else ""}
        return Outcome.of(Reply("account/media", data, keyboard=Keyboard.HELP))
