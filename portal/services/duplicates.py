"""Possible duplicates: two returnee accounts that may belong to one person.

A person may register twice (a new phone, a lost password), or register and later claim a
readmission invitation under the passport spelling of their name. Each returnee is compared with
the others once: when the account is made, when an invitation brings a date of birth, and when a
worker opens a request of someone not compared yet (`duplicates_checked_at` on the profile).

A pair is flagged when the two have
- the same name (the folded key of portal.names, in any word order) and the same date of birth;
- the same phone digits: the same national number, whatever country code or format it was
  stored with;
- a similar name and the same date of birth: every part of the shorter name matches its own
  part of the longer name (a patronymic such as "Əli oğlu" may be missing) within one typing
  difference (two in parts longer than eight letters), starting with the same letter and not
  differing only by the feminine ending (Əliyev / Əliyeva are two people).

The candidates come from one indexed query (the same date of birth, or the same phone tail); the
names are compared with rapidfuzz in Python on those few rows. The same date of birth is what
makes a similar name worth a look: at 100,000 returnees about five share a birthday, so the
name rule can lean to finding (a worker dismisses a wrong flag in one click) rather than to
missing a person who has two accounts. A worker links a flag (the same person: each request
page then shows the other account's requests) or dismisses it (different people); either way
the pair is never flagged again. A decision taken wrongly can be undone: the flag is open again,
for anyone to decide anew.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import phonenumbers
from flask_babel import lazy_gettext as _l
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein
from sqlalchemy import and_, case, literal, or_, select, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from portal.db import utcnow
from portal.models import (
    AssistanceRequest,
    DuplicateFlag,
    DuplicateReason,
    DuplicateStatus,
    ReturneeProfile,
    Role,
    User,
)
from portal.names import name_key, prefix_range
from portal.services import versions
from portal.services.errors import PermissionDenied, ServiceError
from portal.services.workflow import record_event

# Words of an Azerbaijani or Russian patronymic ("Əli oğlu", "Али оглы", "qızı", "кызы") as the
# name key spells them: not part of the name proper.
PATRONYMIC_WORDS = frozenset({"oglu", "ogli", "ogly", "ogul", "gizi", "gizy", "kizi", "kyzy"})
# A phone's national number must have at least this many digits to be compared.
MIN_PHONE_DIGITS = 7
# At most this many candidates per check (a date of birth shared by hundreds is bad data).
MAX_CANDIDATES = 200


class StaleFlag(ServiceError):
    """Someone decided about this pair since the page was opened."""

    code = "stale"


# --- comparing two people ---------------------------------------------------------------------


def name_parts(key: str | None) -> list[str]:
    """The parts of a folded name key that name the person: no initials, no patronymic word."""
    return [p for p in (key or "").split() if len(p) > 1 and p not in PATRONYMIC_WORDS]


def _parts_match(a: str, b: str) -> bool:
    if a == b:
        return True
    if a[0] != b[0]:
        return False
    if a == b + "a" or b == a + "a":  # Əliyev / Əliyeva, Kərimov / Kərimova: not one person
        return False
    allowed = 1 if max(len(a), len(b)) <= 8 else 2
    return Levenshtein.distance(a, b, score_cutoff=allowed) <= allowed


def name_score(key_a: str | None, key_b: str | None) -> int:
    """How alike two folded names are, 0-100, whatever the order of their parts (rapidfuzz)."""
    a, b = " ".join(sorted(name_parts(key_a))), " ".join(sorted(name_parts(key_b)))
    if not a or not b:
        return 0
    return round(fuzz.token_sort_ratio(a, b))


def compare_names(key_a: str | None, key_b: str | None) -> DuplicateReason | None:
    """SAME_NAME_BIRTH_DATE, SIMILAR_NAME_BIRTH_DATE or None: what two name keys say, given
    that the dates of birth are the same."""
    a, b = name_parts(key_a), name_parts(key_b)
    if not a or not b:
        return None
    if sorted(a) == sorted(b):
        return DuplicateReason.SAME_NAME_BIRTH_DATE
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    # A first name alone is too little: at least two parts must match when both have two.
    if len(short) < min(2, len(long)):
        return None
    rest = list(long)
    for part in short:
        matches = [other for other in rest if _parts_match(part, other)]
        if not matches:
            return None
        rest.remove(max(matches, key=lambda other: fuzz.ratio(part, other)))
    return DuplicateReason.SIMILAR_NAME_BIRTH_DATE


def phone_digits_key(phone: str | None) -> str | None:
    """The national number of a phone (the digits after the country code), or None."""
    if not phone:
        return None
    digits = "".join(ch for ch in phone if ch.isdigit())
    try:
        number = phonenumbers.parse(phone if phone.startswith("+") else "+" + digits, None)
        national = str(number.national_number) if phonenumbers.is_valid_number(number) else None
    except phonenumbers.NumberParseException:
        national = None
    national = national or digits[-9:]
    return national if len(national) >= MIN_PHONE_DIGITS else None


# --- the check ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    user_id: int
    name_key: str | None
    phone_tail: str | None
    birth_date: date | None


def _candidates(session: Session, user: User, birth: date | None, national: str | None):
    """Everyone else born the same day, or whose phone ends with the same national number:
    one statement, each half served by an index (birth date; reversed phone digits)."""
    columns = (User.id, User.name_key, User.phone_tail, ReturneeProfile.birth_date)
    others = and_(User.id != user.id, User.role == Role.RETURNEE, User.deleted_at.is_(None))
    parts = []
    if birth is not None:
        parts.append(
            select(*columns)
            .join(ReturneeProfile, ReturneeProfile.user_id == User.id)
            .where(ReturneeProfile.birth_date == birth, others)
        )
    if national is not None:
        low, high = prefix_range(national[::-1])
        tail = User.phone_tail >= low
        if high is not None:
            tail = and_(tail, User.phone_tail < high)
        parts.append(
            select(*columns)
            .outerjoin(ReturneeProfile, ReturneeProfile.user_id == User.id)
            .where(tail, others)
        )
    if not parts:
        return []
    query = parts[0] if len(parts) == 1 else union_all(*parts)
    rows = session.execute(query.limit(MAX_CANDIDATES)).all()
    seen: dict[int, Candidate] = {}
    for row in rows:
        seen.setdefault(row[0], Candidate(*row))
    return list(seen.values())


@dataclass(frozen=True)
class Finding:
    other_id: int
    reason: DuplicateReason
    score: int


def judge(
    user: User, birth: date | None, national: str | None, candidates: list[Candidate]
) -> list[Finding]:
    """Which candidates are possible duplicates, and why (the strongest reason)."""
    key = user.name_key or name_key(user.full_name)
    tail = national[::-1] if national else None
    findings = []
    for c in candidates:
        by_name = (
            compare_names(key, c.name_key) if birth is not None and c.birth_date == birth else None
        )
        same_phone = tail is not None and (c.phone_tail or "").startswith(tail)
        if by_name == DuplicateReason.SAME_NAME_BIRTH_DATE:
            reason = by_name
        elif same_phone:
            reason = DuplicateReason.SAME_PHONE
        elif by_name is not None:
            reason = by_name
        else:
            continue
        same_name = reason == DuplicateReason.SAME_NAME_BIRTH_DATE
        score = 100 if same_name else name_score(key, c.name_key)
        findings.append(Finding(c.user_id, reason, score))
    return findings


def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def check_returnee(session: Session, user: User) -> list[Finding]:
    """Compare one returnee with everyone else and flag the likely duplicates (a pair already
    flagged, whatever its status, is left as it is). Flushes, never commits.

    Called when a returnee account is made, when an invitation brings a date of birth, and by
    the request page for someone not checked yet. Costs one SELECT and one UPDATE; an INSERT
    and another UPDATE only when something is found."""
    if user.role != Role.RETURNEE or user.id is None or user.deleted_at is not None:
        return []
    session.flush()
    profile = user.profile
    birth = profile.birth_date if profile is not None else None
    national = phone_digits_key(user.phone)
    findings = judge(user, birth, national, _candidates(session, user, birth, national))
    now = utcnow()
    if findings:
        rows = [
            {
                "first_user_id": min(user.id, f.other_id),
                "second_user_id": max(user.id, f.other_id),
                "reason": f.reason,
                "score": f.score,
                "status": DuplicateStatus.OPEN,
                "created_at": now,
                "version": 1,
            }
            for f in findings
        ]
        insert = _insert(session)(DuplicateFlag).values(rows)
        session.execute(
            insert.on_conflict_do_nothing(index_elements=["first_user_id", "second_user_id"])
        )
        versions.bump(session)  # the queue marks possible duplicates
    checked_at = literal(now, type_=ReturneeProfile.duplicates_checked_at.type)
    # The check itself is no change of the profile: updated_at stays as it was.
    values = {"updated_at": ReturneeProfile.updated_at, "duplicates_checked_at": checked_at}
    people = [user.id]
    if findings:
        people += [f.other_id for f in findings]
        values["has_duplicate_flags"] = literal(True)
        values["duplicates_checked_at"] = case(
            (ReturneeProfile.user_id == user.id, checked_at),
            else_=ReturneeProfile.duplicates_checked_at,
        )
    session.execute(
        update(ReturneeProfile)
        .where(ReturneeProfile.user_id.in_(people))
        .values(values)
        .execution_options(synchronize_session=False)
    )
    if profile is not None:
        set_committed_value(profile, "duplicates_checked_at", now)
        if findings:
            set_committed_value(profile, "has_duplicate_flags", True)
    return findings


def needs_check(user: User) -> bool:
    profile = user.profile
    return bool(user.is_returnee and profile is not None and profile.duplicates_checked_at is None)


# --- what the request page shows --------------------------------------------------------------


@dataclass
class FlagView:
    flag: DuplicateFlag
    other: User
    requests: list[AssistanceRequest] = field(default_factory=list)

    @property
    def birth_date(self) -> date | None:
        return self.other.profile.birth_date if self.other.profile is not None else None


@dataclass
class DuplicatePanel:
    open: list[FlagView] = field(default_factory=list)
    linked: list[FlagView] = field(default_factory=list)
    # Dismissed flags: the page shows who decided and when (to undo it), not the other person.
    dismissed_flags: list[DuplicateFlag] = field(default_factory=list)

    @property
    def dismissed(self) -> int:
        return len(self.dismissed_flags)

    @property
    def shown_people(self) -> list[User]:
        """The other returnees whose data the page shows (dismissed ones show only a count)."""
        return [v.other for v in (*self.open, *self.linked)]

    def __bool__(self) -> bool:
        return bool(self.open or self.linked or self.dismissed)


def panel_for(session: Session, user: User, *, check: bool = False) -> DuplicatePanel:
    """The flags of one returnee with the other person and their requests: one SELECT, and
    none at all for someone never flagged (the profile says so). With `check`, someone not yet
    compared is compared first."""
    if check and needs_check(user):
        check_returnee(session, user)
    profile = user.profile
    if profile is None or not profile.has_duplicate_flags:
        return DuplicatePanel()
    F = DuplicateFlag
    other = aliased(User)
    decider = aliased(User)
    other_id = case((F.first_user_id == user.id, F.second_user_id), else_=F.first_user_id)
    rows = session.execute(
        select(F, other, AssistanceRequest)
        .join(other, other.id == other_id)
        .outerjoin(decider, decider.id == F.decided_by_id)
        .outerjoin(
            AssistanceRequest,
            and_(AssistanceRequest.owner_id == other.id, F.status != DuplicateStatus.DISMISSED),
        )
        .where(or_(F.first_user_id == user.id, F.second_user_id == user.id))
        .where(other.deleted_at.is_(None))
        .options(joinedload(other.profile), contains_eager(F.decided_by.of_type(decider)))
        .order_by(F.created_at, F.id, AssistanceRequest.created_at.desc())
    ).all()
    views: dict[int, FlagView] = {}
    for flag, person, req in rows:
        view = views.setdefault(flag.id, FlagView(flag, person))
        if req is not None:
            view.requests.append(req)
    panel = DuplicatePanel()
    for view in views.values():
        if view.flag.status == DuplicateStatus.OPEN:
            panel.open.append(view)
        elif view.flag.status == DuplicateStatus.LINKED:
            panel.linked.append(view)
        else:
            panel.dismissed_flags.append(view.flag)
    return panel


# --- a worker's decision ------------------------------------------------------------------------


def flag_of(session: Session, flag_id: int | None, user_id: int) -> DuplicateFlag | None:
    """The flag with this id if it is about this returnee (else None: a 404 for the page)."""
    if flag_id is None:
        return None
    flag = session.get(DuplicateFlag, flag_id)
    return flag if flag is not None and flag.involves(user_id) else None


def decide(
    session: Session,
    flag: DuplicateFlag,
    actor: User,
    status: DuplicateStatus,
    *,
    expected_version: int | None,
    request: AssistanceRequest | None = None,
) -> DuplicateFlag:
    """Link (the same person) or dismiss (different people) an open flag. Social workers and
    administrators only; `expected_version` is the version the actor saw (StaleFlag if another
    decision came first). Records the Event on the request's timeline when given."""
    if not DuplicateFlag.can_view(actor):
        raise PermissionDenied(_l("Only social workers can decide about possible duplicates."))
    if status not in (DuplicateStatus.LINKED, DuplicateStatus.DISMISSED):
        raise ServiceError(_l("Choose whether they are the same person or different people."))
    if flag.status != DuplicateStatus.OPEN or flag.version != expected_version:
        raise StaleFlag(_l("Someone has already decided about this pair. Here is how it is now."))
    previous = flag.status
    flag.status = status
    flag.decided_by_id = actor.id
    flag.decided_at = utcnow()
    kind = "duplicate_linked" if status == DuplicateStatus.LINKED else "duplicate_dismissed"
    _record_decision(session, kind, actor, request, flag, previous, status)
    session.flush()
    return flag


def _record_decision(session, kind, actor, request, flag, previous, to, **more) -> None:
    """The event of a decision about a flag (or of undoing one), on the request's timeline."""
    owner_id = request.owner_id if request is not None else flag.first_user_id
    record_event(
        session,
        kind,
        actor,
        request,
        subject_type="duplicate_flag",
        subject_id=flag.id,
        # Not from_status/to_status: those are a request's statuses on the timeline.
        data={
            "other_id": flag.other_of(owner_id),
            "reason": flag.reason.value,
            "from": previous.value,
            "to": to.value,
            **more,
        },
    )


def undo_decision(
    session: Session,
    flag: DuplicateFlag,
    actor: User,
    *,
    expected_version: int | None,
    request: AssistanceRequest | None = None,
) -> DuplicateFlag:
    """Undo a link or a dismissal: the flag is open again. Social workers and administrators,
    from linked or dismissed; `expected_version` as for decide (StaleFlag if anything happened
    to the flag since). The Event keeps who decided what; the flag forgets it."""
    if not DuplicateFlag.can_view(actor):
        raise PermissionDenied(_l("Only social workers can decide about possible duplicates."))
    if flag.status == DuplicateStatus.OPEN or flag.version != expected_version:
        raise StaleFlag(_l("Someone has already decided about this pair. Here is how it is now."))
    _record_decision(
        session,
        "duplicate_reopened",
        actor,
        request,
        flag,
        flag.status,
        DuplicateStatus.OPEN,
        decided_by=flag.decided_by_id,
    )
    flag.status = DuplicateStatus.OPEN
    flag.decided_by_id = None
    flag.decided_at = None
    session.flush()
    return flag
