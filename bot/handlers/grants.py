"""Who reviews what, and who files for residents where: /grant adds communes (to a reviewer or an
officer), /revoke takes some or all away, each answer listing the scope before and after;
`python -m bot grant` says the same to an operator.

People are named as everywhere (@username, channel:id, a Telegram id), and a bare word that
names nobody is answered with who it may mean (`root` → `console:root`). Communes are typed as
elsewhere in the bot: with or without accents, several words (a commune of three words in quotes, or
unquoted when the words name one commune), `my_hoa_hung`, or the code.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.content import Catalogue, fold, localities
from bot.handlers.answers import Word
from bot.storage import Person, ScopeChange, Storage
from bot.workflow import Role

__all__ = ["Granting", "Said", "find_person", "grant", "handle", "parse_communes", "revoke",
           "scope_text", "who"]

_ALL = frozenset({"all", "tat ca", "toan tinh", "ca tinh"})


@dataclass(frozen=True, slots=True)
class Granting:
    """Who changes roles, and where: `by` is the admin, or None for the operator at the command
    line; `command` names the chat command in hints."""

    storage: Storage
    settings: Settings
    texts: Catalogue
    by: int | None
    command: str = "grant"


@dataclass(frozen=True, slots=True)
class Said:
    """The answer, and whether it was a refusal (nothing could be done as asked)."""

    text: str
    refused: bool = False


@dataclass(frozen=True, slots=True)
class Unknown:
    """A commune that was not found, with the closest names."""

    phrase: str
    suggestions: tuple[str, ...]


def who(person: Person) -> str:
    """A person as an admin reads them: name (@username or channel:id)."""
    name = person.display_name or ""
    handle = f"@{person.username}" if person.username else f"{person.channel}:{person.external_id}"
    return f"{name} ({handle})" if name else handle


def _ref(person: Person) -> str:
    return f"{person.channel}:{person.external_id}"


async def find_person(g: Granting, ref: str) -> Person | Said:
    """The one person `ref` names, or why not: nobody (with who it may mean), or several sharing
    a username (listed by id, never the oldest taken silently)."""
    found = await g.storage.roles.matches(ref)
    if len(found) > 1:
        names = ", ".join(f"{_ref(p)} ({p.display_name})" if p.display_name else _ref(p)
                          for p in found[:10])
        example = f"/{g.command} {_ref(found[0])}"
        return Said(g.texts.t("roles.ambiguous", ref=ref[:40], candidates=names,
                              example=example), refused=True)
    if found:
        return found[0]
    close = await g.storage.roles.similar(ref)
    if close:
        candidates = ", ".join(_ref(p) for p in close)
        return Said(g.texts.t("roles.person_suggest", ref=ref[:40], candidates=candidates),
                    refused=True)
    return Said(g.texts.t("roles.no_person", ref=ref[:40]), refused=True)


def scope_text(texts: Catalogue, province: int, communes: tuple[int, ...]) -> str:
    """The communes by name, or the whole province."""
    if not communes or 0 in communes:
        return texts.t("roles.all_communes")
    units = localities(province)
    return ", ".join(u.name if (u := units.get(c)) else str(c) for c in communes)


def _standing(g: Granting, role: str, communes: tuple[int, ...]) -> str:
    """A role and its scope in the person's language (e.g. a reviewer's communes)."""
    label = g.texts.t(f"roles.role_{role}")
    if role == Role.CITIZEN:
        return label
    scope = scope_text(g.texts, g.settings.province_code, (0,) if role == Role.ADMIN else communes)
    return g.texts.t("roles.standing", role=label, scope=scope)


def _before_after(g: Granting, change: ScopeChange) -> str:
    return g.texts.t("roles.before_after", before=_standing(g, change.before_role, change.before),
                     after=_standing(g, change.after_role, change.after))


def _now(g: Granting, person: Person, communes: tuple[int, ...]) -> str:
    return g.texts.t("roles.now", now=_standing(g, person.role, communes))


def parse_communes(province: int, given: list[Word]) -> tuple[int, ...] | Unknown:
    """The communes named, in order, each once (0: the whole province); or the first phrase
    that names none, with the closest names. A quoted phrase or `a_b_c` is one name; plain words
    are read as the longest runs that each name one commune ('long xuyen chau doc' → two), exact
    names first."""
    units = localities(province)

    def one(phrase: str, sure_only: bool) -> int | None:
        if phrase.isdecimal():
            return int(phrase) if units.get(int(phrase)) else None
        if fold(phrase) in _ALL:
            return 0
        found, sure = units.search(phrase)
        return found[0].code if found and (sure or (len(found) == 1 and not sure_only)) else None

    def runs(plain: list[str], sure_only: bool) -> tuple[list[int], int | None]:
        """The codes the words name, and where reading stopped (None: all read)."""
        codes: list[int] = []
        i = 0
        while i < len(plain):
            hit = next(((j, c) for j in range(len(plain), i, -1)
                        if (c := one(" ".join(plain[i:j]), sure_only)) is not None), None)
            if hit is None:
                return codes, i
            i, code = hit
            codes.append(code)
        return codes, None

    codes: list[int] = []
    for group in _groups(given):
        if isinstance(group, str):  # one name, whatever its words
            plain, code = [group], one(group, False)
            read: tuple[list[int], int | None] = ([], 0) if code is None else ([code], None)
        else:
            plain = group
            read = runs(plain, True)
            if read[1] is not None:
                read = runs(plain, False)
        if read[1] is not None:
            stop = runs(plain, True)[1] or 0
            ends = (k for k in range(stop + 1, len(plain)) if runs(plain[k:], True)[1] is None)
            phrase = " ".join(plain[stop:next(ends, len(plain))])
            found, _ = units.search(phrase)
            names = [u.name for u in (found or units.suggest(phrase))][:5]
            return Unknown(phrase[:60], tuple(names))
        codes += read[0]
    return (0,) if 0 in codes else tuple(dict.fromkeys(codes))


def _groups(given: list[Word]) -> list[str | list[str]]:
    """A quoted phrase or an `a_b_c` word alone (as a name); plain words together (a run)."""
    out: list[str | list[str]] = []
    for word in given:
        if word.quoted or "_" in word.text:
            out.append(word.text.replace("_", " "))
        elif out and isinstance(out[-1], list):
            out[-1].append(word.text)
        else:
            out.append([word.text])
    return out


def _bad_commune(g: Granting, bad: Unknown) -> Said:
    if bad.suggestions:
        return Said(g.texts.t("roles.commune_suggest", name=bad.phrase,
                              names=", ".join(bad.suggestions)), refused=True)
    return Said(g.texts.t("roles.bad_commune", name=bad.phrase), refused=True)


def _listed(g: Granting, target: Person) -> Said | None:
    """A role ADMIN_IDS gives is changed by editing ADMIN_IDS, never by a command."""
    if g.settings.lists_admin(target.channel, target.external_id):
        name = f"{target.display_name} ({_ref(target)})" if target.display_name else _ref(target)
        return Said(g.texts.t("roles.listed_admin", who=name), refused=True)
    return None


async def grant(g: Granting, target: Person, args: list[Word]) -> Said:
    """Make `target` an admin, or a reviewer or an officer of more communes (none named: the
    province)."""
    role = fold(args[0].text) if args else ""
    if role == Role.ADMIN:
        if target.role == Role.ADMIN and not target.admin_from_list:
            return Said(g.texts.t("roles.already_admin", who=who(target))
                        + _now(g, target, (0,)))
        change = await g.storage.roles.grant(target.id, Role.ADMIN, (0,), by=g.by)
        return Said(g.texts.t("roles.granted_admin", who=who(target)) + _before_after(g, change))
    if role not in (Role.REVIEWER, Role.OFFICER):
        return Said(g.texts.t("roles.usage_grant"), refused=True)
    listed = _listed(g, target)
    if listed is not None:
        return listed
    if target.role == Role.ADMIN:
        return Said(g.texts.t(f"roles.admin_not_{role}", who=who(target), ref=_ref(target)),
                    refused=True)
    if role == Role.OFFICER and target.role == Role.REVIEWER:  # reviewers file for residents
        return Said(g.texts.t("roles.reviewer_not_officer", who=who(target), ref=_ref(target)),
                    refused=True)
    communes = parse_communes(g.settings.province_code, args[1:]) if args[1:] else (0,)
    if isinstance(communes, Unknown):
        return _bad_commune(g, communes)
    change = await g.storage.roles.widen(target.id, communes, role=role, by=g.by)
    scope = scope_text(g.texts, g.settings.province_code, communes)
    if (change.before_role, change.before) == (change.after_role, change.after):
        same = "roles.nothing_new" if role == Role.REVIEWER else "roles.nothing_new_officer"
        return Said(g.texts.t(same, who=who(target), scope=scope)
                    + _now(g, target, change.after))
    return Said(g.texts.t(f"roles.granted_{role}", who=who(target), scope=scope)
                + _before_after(g, change))


async def revoke(g: Granting, target: Person, args: list[Word]) -> Said:
    """Take every role away, or only the communes named."""
    listed = _listed(g, target)
    if listed is not None:
        return listed
    if target.role == Role.CITIZEN:
        return Said(g.texts.t("roles.nothing_to_revoke", who=who(target)))
    communes = parse_communes(g.settings.province_code, args) if args else (0,)
    if isinstance(communes, Unknown):
        return _bad_commune(g, communes)
    if communes == (0,):
        change = await g.storage.roles.revoke(target.id, by=g.by)
        return Said(g.texts.t("roles.revoked", who=who(target)) + _before_after(g, change))
    if target.role == Role.ADMIN:
        return Said(g.texts.t("roles.revoke_communes_admin", who=who(target), ref=_ref(target)),
                    refused=True)
    held = tuple(sorted(await g.storage.roles.scopes(target.id)))
    if 0 in held:
        return Said(g.texts.t("roles.revoke_from_all", who=who(target), ref=_ref(target)),
                    refused=True)
    change = await g.storage.roles.narrow(target.id, communes, by=g.by)
    scope = scope_text(g.texts, g.settings.province_code, communes)
    if change.after == change.before:
        return Said(g.texts.t("roles.not_in_scope", who=who(target), scope=scope)
                    + _now(g, target, change.after))
    return Said(g.texts.t("roles.revoked_communes", who=who(target), scope=scope)
                + _before_after(g, change))


async def handle(g: Granting, args: list[Word]) -> Said:
    """`<person> <role> [communes…]` for grant, `<person> [communes…]` for revoke."""
    if not args:
        return Said(g.texts.t(f"roles.usage_{g.command}"), refused=True)
    target = await find_person(g, args[0].text)
    if isinstance(target, Said):
        return target
    act = grant if g.command == "grant" else revoke
    return await act(g, target, args[1:])

