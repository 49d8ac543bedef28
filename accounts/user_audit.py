"""Every change of a user or an authenticator writes hash-chained audit rows with who made it
and what changed: role, password (never the hash), activation, admin rights, groups and
permissions, names, and authenticators added, replaced or removed.

Receivers on Django's model signals, because these changes come from many places: the Django
admin, the account pages, `manage.py changepassword`, a shell. The acting user comes from the
current request (accounts/acting.py); outside a request the row says "system". The rows are
written in the transaction of the change (the Django admin's views are atomic).

A change of one's own role, rights, groups or active status is refused here too, whatever
path it took (the Django admin's form refuses it first, with the same sentence).
"""

from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.acting import acting_user
from accounts.duties import own_account_refusal
from accounts.models import User
from audit.services import audit_record

TRACKED = (
    "username", "first_name", "last_name", "email", "role", "is_active", "is_staff",
    "is_superuser", "password",
)  # fmt: skip
DETAILS = ("username", "first_name", "last_name", "email")
DEVICE_TRACKED = ("user_id", "name", "confirmed", "key")


def who(user) -> str:
    return f"{user.printed_name} ({user.get_username()})"


def _record(action: str, user, summary: str, old=None, new=None) -> None:
    audit_record(
        actor=acting_user(),
        action=action,
        obj=user,
        summary=summary,
        old=old,
        new={"user": user.get_username()} | (new or {}),
    )


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


# --- Users -----------------------------------------------------------------------------------


@receiver(pre_save, sender=User, dispatch_uid="audit_user_before")
def _remember_user(sender, instance: User, raw, update_fields, **kwargs):
    instance._audit_before = None  # type: ignore[attr-defined]
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # each sign-in writes last_login; nothing to record
    before = sender.objects.filter(pk=instance.pk).values(*TRACKED).first()
    instance._audit_before = before  # type: ignore[attr-defined]
    actor = acting_user()
    if before and actor is not None and actor.pk == instance.pk:
        changed = {f for f in TRACKED if before[f] != getattr(instance, f)}
        refused = own_account_refusal(changed, new_role=instance.role)
        if refused:
            raise PermissionDenied(refused)


@receiver(post_save, sender=User, dispatch_uid="audit_user_saved")
def _audit_user_saved(sender, instance: User, created, raw, update_fields, **kwargs):
    if raw:
        return
    if created:
        _record(
            "user_create",
            instance,
            f"User created: {who(instance)}, role {instance.get_role_display().lower()}"
            + (", Django admin" if instance.is_staff else "")
            + ("" if instance.is_active else ", inactive"),
            new={f: getattr(instance, f) for f in TRACKED if f != "password"},
        )
        return
    before = instance.__dict__.pop("_audit_before", None)
    if not before:
        return
    saved = TRACKED if update_fields is None else [f for f in TRACKED if f in update_fields]
    changed = [f for f in saved if before[f] != getattr(instance, f)]
    # A hash upgrade at sign-in (Django's check_password) re-saves the same password.
    rehash = update_fields is not None and set(update_fields) == {"password"}
    if "password" in changed and rehash and instance._password is None:  # type: ignore[attr-defined]
        changed.remove("password")
    for field_set, write in _USER_CHANGES:
        hits = [f for f in changed if f in field_set]
        if hits:
            write(instance, {f: before[f] for f in hits})


def _role_changed(user: User, old: dict) -> None:
    before, after = old["role"], user.role
    _record(
        "role_change",
        user,
        f"Role of {who(user)} changed: {before} → {after}",
        old={"role": before},
        new={"role": after},
    )


def _activation_changed(user: User, old: dict) -> None:
    word = "activated" if user.is_active else "deactivated"
    _record(
        "user_activate" if user.is_active else "user_deactivate",
        user,
        f"Account of {who(user)} {word}",
        old={"is_active": old["is_active"]},
        new={"is_active": user.is_active},
    )


def _rights_changed(user: User, old: dict) -> None:
    parts = [
        f"{label} {_yes_no(old[f])} → {_yes_no(getattr(user, f))}"
        for f, label in (("is_staff", "Django admin"), ("is_superuser", "superuser"))
        if f in old
    ]
    _record(
        "permission_change",
        user,
        f"Admin rights of {who(user)} changed: " + ", ".join(parts),
        old=old,
        new={f: getattr(user, f) for f in old},
    )


def _password_changed(user: User, old: dict) -> None:
    actor = acting_user()
    own = actor is not None and actor.pk == user.pk
    by = "" if actor is None or own else f" by {who(actor)}"
    _record(
        "password_change" if own else "password_reset",
        user,
        f"Password of {who(user)} {'changed by its owner' if own else 'reset'}{by}",
    )


def _details_changed(user: User, old: dict) -> None:
    _record(
        "user_change",
        user,
        f"Account details of {who(user)} changed: " + ", ".join(old),
        old=old,
        new={f: getattr(user, f) for f in old},
    )


_USER_CHANGES = (
    ({"role"}, _role_changed),
    ({"is_active"}, _activation_changed),
    ({"is_staff", "is_superuser"}, _rights_changed),
    ({"password"}, _password_changed),
    (set(DETAILS), _details_changed),
)


@receiver(post_delete, sender=User, dispatch_uid="audit_user_deleted")
def _audit_user_deleted(sender, instance: User, **kwargs):
    _record("user_delete", instance, f"User deleted: {who(instance)}")


def _names(model, pks) -> list[str]:
    if model is Permission:
        return sorted(model.objects.filter(pk__in=pks).values_list("codename", flat=True))
    return sorted(str(o) for o in model.objects.filter(pk__in=pks))


def _membership_changed(relation: str):
    """A receiver for one of the user's many-to-many relations (groups, permissions), from
    either side: user.groups.add(group) or group.user_set.add(user)."""

    def receive(sender, instance, action, reverse, model, pk_set, **kwargs):
        if reverse:  # instance is the group or permission; pk_set the users
            users, related, pks = (
                list(User.objects.filter(pk__in=pk_set or ())),
                type(instance),
                {instance.pk},
            )
        else:
            users, related, pks = [instance], model, pk_set
        if action in ("pre_add", "pre_remove", "pre_clear"):
            actor = acting_user()
            if actor is not None and any(u.pk == actor.pk for u in users):
                raise PermissionDenied(own_account_refusal({relation}))
            if action == "pre_clear" and not reverse:
                # What a clear removes is known only before it goes.
                current = set(getattr(instance, relation).values_list("pk", flat=True))
                _membership_write(relation, related, instance, "removed", current)
        elif action in ("post_add", "post_remove"):
            word = "added" if action == "post_add" else "removed"
            for user in users:
                _membership_write(relation, related, user, word, pks)

    return receive


def _membership_write(relation, related, user, word, pks) -> None:
    if not pks:
        return
    names = _names(related, pks)
    label = "groups" if relation == "groups" else "permissions"
    _record(
        "permission_change",
        user,
        f"{label.capitalize()} of {who(user)} changed: {word} " + ", ".join(names),
        new={f"{label}_{word}": ", ".join(names)},
    )


for _relation in ("groups", "user_permissions"):
    m2m_changed.connect(
        _membership_changed(_relation),
        sender=getattr(User, _relation).through,
        dispatch_uid=f"audit_user_{_relation}",
        weak=False,
    )


# --- Authenticators --------------------------------------------------------------------------


@receiver(pre_save, sender=TOTPDevice, dispatch_uid="audit_device_before")
def _remember_device(sender, instance: TOTPDevice, raw, **kwargs):
    # django-otp saves the device at every code checked (drift, throttling): those are not
    # changes of the authenticator and write no row.
    instance._audit_before = None
    if raw or instance._state.adding or instance.pk is None:
        return
    instance._audit_before = sender.objects.filter(pk=instance.pk).values(*DEVICE_TRACKED).first()


@receiver(post_save, sender=TOTPDevice, dispatch_uid="audit_device_saved")
def _audit_device_saved(sender, instance: TOTPDevice, created, raw, **kwargs):
    if raw:
        return
    user = instance.user
    if created:
        if instance.confirmed:
            _record(
                "authenticator_add",
                user,
                f"Authenticator “{instance.name}” added for {who(user)}",
                new={"device": instance.name},
            )
        return  # an unconfirmed one is a set-up in progress: its confirmation is recorded
    before = instance.__dict__.pop("_audit_before", None)
    if not before:
        return
    changed = [f for f in DEVICE_TRACKED if before[f] != getattr(instance, f)]
    if not changed or (not before["confirmed"] and not instance.confirmed):
        return
    if changed == ["confirmed"]:
        on = instance.confirmed
        _record(
            "authenticator_add" if on else "authenticator_remove",
            user,
            f"Authenticator “{instance.name}” of {who(user)} "
            + ("confirmed: two-step sign-in is on" if on else "switched off"),
            new={"device": instance.name},
        )
        return
    shown = [("user" if f == "user_id" else f) for f in changed]
    _record(
        "authenticator_change",
        user,
        f"Authenticator “{instance.name}” of {who(user)} changed: " + ", ".join(shown),
        # The key itself is a secret: only that it changed is kept.
        old={f: before[f] for f in changed if f != "key"},
        new={"device": instance.name}
        | {f: getattr(instance, f) for f in changed if f not in ("key", "user_id")},
    )


@receiver(post_delete, sender=TOTPDevice, dispatch_uid="audit_device_deleted")
def _audit_device_deleted(sender, instance: TOTPDevice, **kwargs):
    if not instance.confirmed:
        return
    user = User.objects.filter(pk=instance.user_id).first()
    if user is not None:
        _record(
            "authenticator_remove",
            user,
            f"Authenticator “{instance.name}” removed from {who(user)}",
            new={"device": instance.name},
        )
