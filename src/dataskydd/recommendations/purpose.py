"""What recommendations run under, found through the policy and the data map, never by key:
the purpose the policy names in `system_purposes.recommendations`, and the category the data
map gives the register's viewing events (usage_event.item)."""

from __future__ import annotations

from dataskydd.datamap import entries
from dataskydd.errors import ConfigurationError
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Policy
from dataskydd.register.enums import UsageKind

# The events a recommendation learns from: watching a title.
VIEWING = UsageKind.VIEW
FUNCTION = "recommendations"


def configured(policy: Policy) -> bool:
    return getattr(policy.system_purposes, FUNCTION) is not None


def recommendations_purpose(policy: Policy) -> str:
    """The purpose; ConfigurationError naming `system_purposes.recommendations` without it."""
    return policy.system_purpose(FUNCTION)


def viewing_category(policy: Policy) -> str:
    """The category of the viewed titles, which the purpose must use."""
    purpose = recommendations_purpose(policy)
    category = entries.category_of("usage_event", "item")
    if category not in policy.purpose(purpose).categories:
        raise ConfigurationError(
            Msg(
                "purpose {purpose} (system_purposes.recommendations) does not "
                "use category {category}, which holds the viewing events it "
                "learns from",
                purpose=purpose,
                category=category,
            )
        )
    return category
