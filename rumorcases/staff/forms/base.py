"""What every staff form shares: services' refusals shown in place, on the form."""

from django import forms

from rumorcases.core.exceptions import CHANGED_MEANWHILE, ApplicationError


def call_service(form: forms.Form, call):
    """Run `call()`; on `ApplicationError` put its messages on `form` and return None.

    A service names the fields it refuses (`fields`); those that are on the form get their
    message beside them, the rest (and a refusal without fields) go above the form.
    """
    try:
        return call()
    except ApplicationError as exc:
        placed = False
        for name, messages in exc.fields.items():
            target = name if name in form.fields else None
            for message in messages if isinstance(messages, list | tuple) else [messages]:
                form.add_error(target, str(message))
                placed = placed or target is not None
        if not placed:
            form.add_error(None, exc.message)
        return None


def attempt(form: forms.Form, call):
    """`call_service`, also handing back the refusal (or None) so the view can answer with the
    status it deserves (`refusal_status`)."""
    refused = []

    def run():
        try:
            return call()
        except ApplicationError as exc:
            refused.append(exc)
            raise

    return call_service(form, run), (refused[0] if refused else None)


def refusal_status(error: ApplicationError | None) -> int:
    """403 for a role or four-eyes refusal; 409 when the object changed meanwhile under the
    user's eyes; 200 for everything the user can correct or read on the form re-shown (bad
    input, a rule of the current state)."""
    if error is None:
        return 200
    if error.code == CHANGED_MEANWHILE:
        return 409
    return 403 if error.status_code == 403 else 200


def run_service(form: forms.Form, call) -> tuple[object, int]:
    """`call_service` with the HTTP status a refusal deserves (200 when it went through)."""
    result, error = attempt(form, call)
    return result, refusal_status(error)
