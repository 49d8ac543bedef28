"""Separation of duties over accounts: nobody changes their own role, admin rights, groups,
permissions or active status; another admin must. So an admin cannot make themselves a
neurologist and sign an injection, and every such change has two people: the one it is
about and the one who made it (both in the audit row, accounts/user_audit.py)."""

from accounts.models import Role

# The fields of one's own account that another admin must change.
OWN_ACCOUNT_GUARDED = frozenset(
    {"role", "is_active", "is_staff", "is_superuser", "groups", "user_permissions"}
)
CLINICAL_ROLES = frozenset({Role.NURSE, Role.NEUROLOGIST})


def own_account_refusal(changed: set[str], *, new_role: str | None = None) -> str | None:
    """The sentence refusing a change of one's own account, or None when it is allowed."""
    changed = set(changed) & OWN_ACCOUNT_GUARDED
    if not changed:
        return None
    if "role" in changed and new_role in CLINICAL_ROLES:
        return (
            f"You cannot give yourself a clinical role ({Role(new_role).label.lower()}): "
            "another admin must do it, and it is recorded in the audit trail."
        )
    return (
        "You cannot change your own role, admin rights, groups, permissions or active "
        "status: another admin must."
    )
