"""The gettext catalogues (`web/locales/<lang>/LC_MESSAGES/*.po`), for every layer.

The pages translate through `web.i18n`; texts that the domain stores or mails for a subject
(a request's outcome, a restriction's reason) are translated here too, in the subject's
language, and so are the mails to staff, so one set of `.po` files holds every text a
reader sees. Only the files are read: the web package's code is not imported (the domains
must not depend on it).

Message ids are English; English is the ids themselves. The `.po` files are merged and
compiled in memory (polib), so no binary `.mo` files are kept in the repository.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import polib

if TYPE_CHECKING:
    # Only a name here: the policy package (pydantic) is not needed to read the catalogues,
    # and the command line loads them before its command imports anything (cli/__init__.py).
    from dataskydd.policy.schema import Lang

# The mails to staff (the DPO's reminders and alerts) are in the language the staff pages open
# in: staff accounts keep no language of their own (English is chosen per browser, web/i18n.py)
# and the address mailed is the policy's `dpo.email`, not an account's.
STAFF_LANGUAGE: Lang = "sv"


@cache
def translations(lang: Lang) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    folder = resources.files("dataskydd").joinpath(f"web/locales/{lang}/LC_MESSAGES")
    catalog = polib.POFile()
    # Each file's header names the charset and the plural rule; the .mo carries them over.
    catalog.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    # Keyed by context and id: a message in two files is translated once, the later file's.
    messages: dict[tuple[str | None, str], polib.POEntry] = {}
    for source in sorted(folder.iterdir(), key=lambda item: item.name):
        if not source.name.endswith(".po"):
            continue
        po = polib.pofile(source.read_text(encoding="utf-8"))
        catalog.metadata.update(po.metadata)
        # Translated only: no fuzzy, obsolete or empty entries (as gettext's msgfmt).
        for entry in po.translated_entries():
            messages[entry.msgctxt, entry.msgid] = entry
    catalog.extend(messages.values())
    return gettext.GNUTranslations(io.BytesIO(catalog.to_binary()))
