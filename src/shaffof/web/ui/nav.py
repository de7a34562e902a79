"""The site navigation, as a registry other modules add to (statistics, data tracker, log verification …)
without editing ``base.html``: ``nav.register(NavLink("/stats", {"uz": …, "ru": …, "en": …}, PUBLIC))``.

A link's label is either a message id of the portal's catalogues or a ``{language: text}`` mapping, so a
module can bring its own texts. Who sees a link is a predicate over the signed-in actor (or None).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from shaffof.identity.actor import Actor
from shaffof.identity.models import Role
from shaffof.web.ui.i18n import gettext

Audience = Callable[[Actor | None], bool]


def everyone(_actor: Actor | None) -> bool:
    return True


def signed_out(actor: Actor | None) -> bool:
    return actor is None


def citizens(actor: Actor | None) -> bool:
    return actor is not None and actor.role is Role.citizen


def staff(actor: Actor | None) -> bool:
    return actor is not None and actor.is_agency_staff


def heads(actor: Actor | None) -> bool:
    return actor is not None and actor.role is Role.head


def overseers(actor: Actor | None) -> bool:
    """Heads of bodies and auditors: the integrity board and the accountability report."""
    return actor is not None and actor.role in (Role.head, Role.auditor)


def signed_in(actor: Actor | None) -> bool:
    return actor is not None


@dataclass(frozen=True)
class NavLink:
    path: str
    label: str | Mapping[str, str]
    audience: Audience = everyone
    order: int = 100

    def text(self, language: str) -> str:
        if isinstance(self.label, str):
            return gettext(language, self.label)
        return self.label.get(language) or next(iter(self.label.values()))


_LINKS: list[NavLink] = []


def register(link: NavLink) -> None:
    """Add a link to every page's navigation (idempotent per path)."""
    if all(existing.path != link.path for existing in _LINKS):
        _LINKS.append(link)
        _LINKS.sort(key=lambda item: item.order)


def links_for(actor: Actor | None) -> list[NavLink]:
    return [link for link in _LINKS if link.audience(actor)]
