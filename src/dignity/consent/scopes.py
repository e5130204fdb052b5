"""What a consent can cover, who a share can go to, and the words for them.

    scope                 what the person agreed to
    documentation         that their account is recorded and used inside the organisation
    share.<recipient>     that it is shared with that kind of recipient (never a named one: the
                          consent names kinds; the sharing log names the recipient)
    publication           that it is published, in anonymised form only
    identity              that who they are may travel with a share (never with a publication)

A share to recipient kind K needs `share.K` (a publication needs `publication`), and `identity`
as well when the identity goes with it.
"""

from __future__ import annotations

DOCUMENTATION = "documentation"
PUBLICATION = "publication"
IDENTITY = "identity"
PUBLIC = "public"  # the recipient kind of a publication

RECIPIENT_KINDS: dict[str, str] = {
    "un-mechanism": "a UN mechanism",
    "prosecutor": "a prosecutor or court",
    "sanctions-authority": "a sanctions authority",
    "support-service": "a support service",
    "ngo": "another NGO",
    PUBLIC: "the public (anonymised publication)",
}

SCOPES: dict[str, str] = {
    DOCUMENTATION: "documentation by the organisation",
    **{f"share.{kind}": f"sharing with {label}" for kind, label in RECIPIENT_KINDS.items()},
    PUBLICATION: "publication in anonymised form",
    IDENTITY: "sharing who they are",
}
del SCOPES[f"share.{PUBLIC}"]

GIVERS = {
    "person": "the person themself",
    "guardian": "a guardian",
    "representative": "a representative",
}
METHODS = {"written": "in writing", "oral": "orally", "recorded": "recorded (audio or video)"}
THROUGH = {
    "direct": "directly",
    "interviewer": "through the interviewer",
    "interpreter": "through an interpreter",
}
# The languages the consent form offers first (ISO 639-1): English name, name in the language.
LANGUAGES: dict[str, tuple[str, str]] = {
    "ar": ("Arabic", "العربية"),
    "en": ("English", "English"),
    "es": ("Spanish", "Español"),
    "fa": ("Persian", "فارسی"),
    "fr": ("French", "Français"),
    "ku": ("Kurdish", "Kurdî"),
    "ps": ("Pashto", "پښتو"),
    "ru": ("Russian", "Русский"),
    "so": ("Somali", "Soomaali"),
    "sw": ("Swahili", "Kiswahili"),
    "ti": ("Tigrinya", "ትግርኛ"),
    "tr": ("Turkish", "Türkçe"),
    "uk": ("Ukrainian", "Українська"),
    "ur": ("Urdu", "اردو"),
    "my": ("Burmese", "မြန်မာ"),
}
NOTIFIED_HOW = {
    "email": "by e-mail",
    "letter": "by letter",
    "phone": "by telephone",
    "meeting": "in person",
    "other": "otherwise",
}
PROMISE_KINDS = {
    "referral.medical": "referral to medical care",
    "referral.psychosocial": "referral to psychosocial support",
    "referral.legal": "referral to legal support",
    "follow-up": "a follow-up visit",
    "copy": "returning a copy of their testimony",
    "other": "something else",
}
PROMISE_STATUSES = {"open": "open", "done": "done", "cancelled": "cancelled"}


def scope_for(recipient_kind: str) -> str:
    """The scope a share to `recipient_kind` needs."""
    return PUBLICATION if recipient_kind == PUBLIC else f"share.{recipient_kind}"
