"""Firing django-fsm transitions the same way everywhere.

`fire` gives every refusal its own `ApplicationError` code and message, in the order
staff need them: not possible from this state, not your role, guard not met; and
turns a lost race into "changed meanwhile".
"""

import threading

import django_fsm as fsm
from django.db import transaction
from django.utils.translation import gettext as _

from rumorcases.core.exceptions import (
    CHANGED_MEANWHILE,
    GUARD_FAILED,
    NOT_YOUR_ROLE,
    TRANSITION_NOT_ALLOWED,
    ApplicationError,
)

# django-fsm's `refresh_from_db` turns the state field's `protected` flag off and on again
# around the reload. The flag lives on the field, shared by every thread of the process, so two
# threads reloading at once (two workers losing the same race) make one of them fail with
# "Direct status modification is not allowed". Reloads here take turns.
_RELOAD_LOCK = threading.Lock()


def reload_from_db(obj) -> None:
    """`refresh_from_db` that is safe for a protected state field (see `_RELOAD_LOCK`)."""
    with _RELOAD_LOCK:
        obj.refresh_from_db()


def _transition_meta(obj, name: str):
    method = getattr(obj, name)
    meta = method._django_fsm
    state = meta.field.get_state(obj)
    return method, meta, state


def transition_label(model, name: str) -> str:
    """The transition's label for people (its `custom={"label": ...}`), else its name made readable."""
    meta = getattr(model, name)._django_fsm
    for transition in meta.transitions.values():
        if transition.custom.get("label"):
            return str(transition.custom["label"])
    return name.replace("_", " ").capitalize()


def state_label(obj, state) -> str:
    field = next(f for f in obj._meta.fields if isinstance(f, fsm.FSMFieldMixin))
    return str(dict(field.flatchoices).get(state, state))


def refusal(obj, name: str, user, *, system: bool = False) -> ApplicationError | None:
    """Why `user` may not fire transition `name` on `obj` now, or None if they may.

    Runs each guard condition (a query each, usually).
    """
    method, meta, state = _transition_meta(obj, name)
    if not meta.has_transition(state):
        return ApplicationError(
            TRANSITION_NOT_ALLOWED,
            _("“%(name)s” is not possible from state “%(state)s”.")
            % {"name": transition_label(obj, name), "state": state_label(obj, state)},
            status_code=409,
        )
    if not system and (user is None or not meta.has_transition_perm(obj, state, user)):
        return ApplicationError(NOT_YOUR_ROLE,
                                _("Your role may not do “%(name)s”.") % {"name": transition_label(obj, name)},
                                status_code=403)
    transition = meta.get_transition(state)
    for condition in transition.conditions or []:
        if not condition(obj):
            # Guards read the database, the state comes from the instance: when another
            # transition has just won the race, its effects fail the guard (a published
            # notice is no longer "approved"), and the truthful answer is "changed meanwhile".
            if obj.pk is not None and type(obj)._base_manager.filter(pk=obj.pk).exclude(
                    **{meta.field.attname: state}).exists():
                return changed_meanwhile(obj)
            return ApplicationError(GUARD_FAILED, str(getattr(condition, "message", condition.__name__)))
    return None


def changed_meanwhile(obj) -> ApplicationError:
    return ApplicationError(
        CHANGED_MEANWHILE,
        _("%(object)s changed meanwhile; reload it and try again.") % {"object": obj._meta.verbose_name.capitalize()},
        status_code=409,
    )


def fire(obj, name: str, *, by, update_fields: list[str], system: bool = False, checked: bool = False,
         on_moved=None, **kwargs):
    """Check, run transition `name` and save `obj` in a savepoint. Returns the source state.

    `update_fields` are the fields the transition method sets besides the state field;
    `checked` says the caller has just run `refusal` itself; `on_moved(obj)` may set more
    fields once the state has moved (after the guards ran), before the save.
    On any failure the instance is reloaded, so callers never see a half-moved object.
    """
    problem = None if checked else refusal(obj, name, by, system=system)
    if problem is not None:
        raise problem
    method, meta, source = _transition_meta(obj, name)
    try:
        with transaction.atomic():
            method(**kwargs)
            if on_moved is not None:
                on_moved(obj)
            obj.save(update_fields=[meta.field.name, *update_fields])
    except fsm.ConcurrentTransition:
        reload_from_db(obj)
        raise changed_meanwhile(obj) from None
    except fsm.TransitionNotAllowed:
        # django-fsm checks the guards again when the method runs; one that held when `refusal`
        # ran no longer holds, because another transaction committed in between.
        reload_from_db(obj)
        problem = refusal(obj, name, by, system=system) if meta.field.get_state(obj) == source else None
        raise (problem or changed_meanwhile(obj)) from None
    except Exception:
        if obj.pk:
            reload_from_db(obj)
        raise
    return source


def role_may_fire(obj, name: str, user) -> bool:
    """Whether `user`'s role lets them fire transition `name` from any state at all (a form
    for it from anyone else is refused before it is even read)."""
    meta = getattr(type(obj), name)._django_fsm
    return any(transition.has_perm(obj, user) for transition in meta.transitions.values())


def available_transitions(obj, user) -> list[str]:
    """Names of the transitions `user` may fire on `obj` right now (the UI's buttons)."""
    field_name = next(f.name for f in obj._meta.fields if isinstance(f, fsm.FSMFieldMixin))
    getter = getattr(obj, f"get_available_user_{field_name}_transitions")
    return [t.name for t in getter(user)]
