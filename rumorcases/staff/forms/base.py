"""What every staff form shares: services' refusals shown in place, on the form."""

from django import forms

from rumorcases.core.exceptions import ApplicationError


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
