"""Writing and checking the hash-chained audit trail."""

from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone

from rumorcases.core.models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model,
    data: dict | None = None,
    case_reference: str = "",
) -> AuditEvent:
    """Append one event to the chain. Must run inside the transaction of the change it records.

    Locks the chain head row, so concurrent writers append one after another (one query
    to lock, one to insert, one to move the head).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change it records")
    head = AuditChainHead.objects.select_for_update().filter(id=1).first()
    if head is None:  # a flushed database (migrations create the row)
        AuditChainHead.objects.bulk_create([AuditChainHead(id=1)], ignore_conflicts=True)
        head = AuditChainHead.objects.select_for_update().get(id=1)
    event = AuditEvent(
        seq=head.last_seq + 1,
        occurred_at=timezone.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=actor.get_username() if actor is not None and actor.is_authenticated else "system",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        case_reference=case_reference,
        data=data or {},
        prev_hash=head.last_hash,
    )
    event.hash = event.compute_hash()
    event.save()
    AuditChainHead.objects.filter(id=1).update(last_seq=event.seq, last_hash=event.hash)
    return event


@dataclass
class AuditEntry:
    """One event for `audit_record_many`: the arguments `audit_record` takes."""

    actor: object
    action: str
    obj: models.Model
    data: dict | None = None
    case_reference: str = ""


def audit_record_many(*, entries: list[AuditEntry]) -> list[AuditEvent]:
    """Append events to the chain in the order given, as one `audit_record` call each would.

    For bulk writers: the head row is locked once, the links are computed in memory and the
    events are written with one insert (three queries on PostgreSQL, however many events). Must
    run inside the transaction of the changes recorded; every `obj` must be saved already.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record_many must run inside the transaction of the changes it records")
    if not entries:
        return []
    head = AuditChainHead.objects.select_for_update().filter(id=1).first()
    if head is None:  # a flushed database (migrations create the row)
        AuditChainHead.objects.bulk_create([AuditChainHead(id=1)], ignore_conflicts=True)
        head = AuditChainHead.objects.select_for_update().get(id=1)
    seq, prev_hash = head.last_seq, head.last_hash
    events = []
    for entry in entries:
        if entry.obj.pk is None:
            raise ValueError(f"{entry.action}: the object must be saved before its event is recorded")
        actor = entry.actor if entry.actor is not None and entry.actor.is_authenticated else None
        seq += 1
        event = AuditEvent(
            seq=seq,
            occurred_at=timezone.now(),
            actor=actor,
            actor_label=actor.get_username() if actor is not None else "system",
            action=entry.action,
            object_type=entry.obj._meta.label_lower,
            object_id=str(entry.obj.pk),
            case_reference=entry.case_reference,
            data=entry.data or {},
            prev_hash=prev_hash,
        )
        event.hash = prev_hash = event.compute_hash()
        events.append(event)
    AuditEvent.objects.bulk_create(events)
    AuditChainHead.objects.filter(id=1).update(last_seq=seq, last_hash=prev_hash)
    return events


@dataclass
class ChainProblem:
    seq: int | None
    message: str


def audit_chain_problems(*, batch_size: int = 2000):
    """Yield every broken or missing link, in chain order. Streams the table in batches."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=batch_size):
        if event.seq != expected_seq:
            yield ChainProblem(expected_seq, f"event #{expected_seq} is missing (next stored is #{event.seq})")
        if event.prev_hash != prev_hash:
            yield ChainProblem(event.seq, f"event #{event.seq} does not link to the event before it")
        if event.compute_hash() != event.hash:
            yield ChainProblem(event.seq, f"event #{event.seq} was altered after it was written")
        expected_seq = event.seq + 1
        prev_hash = event.hash
    head = AuditChainHead.objects.filter(id=1).first()
    last_seq = expected_seq - 1
    if head is not None and (head.last_seq != last_seq or head.last_hash != prev_hash):
        yield ChainProblem(
            head.last_seq,
            f"the chain ends at #{last_seq} but its head records #{head.last_seq}: events were removed from the end",
        )
