"""What a returnee reads about their request: the status and the timeline in plain words.

The one place that turns internal status codes and event kinds into words for the returnee.
"""

from __future__ import annotations

from portal.i18n import gettext as _
from portal.i18n import upper_first
from portal.models import AssistanceRequest, CloseOutcome, Event, PartnerOrganisation, Priority
from portal.models import RequestStatus as S


def _partner_name(partner: PartnerOrganisation | None) -> str:
    return partner.name() if partner is not None else _("an organisation that can help")


def _current_partner(request: AssistanceRequest) -> PartnerOrganisation | None:
    referral = request.open_referral
    if referral is None and request.referrals:
        referral = request.referrals[-1]
    return referral.partner if referral is not None else None


def status_text(request: AssistanceRequest) -> str:
    """The status of the request, as the returnee should read it."""
    status = request.status
    if status == S.SUBMITTED:
        return _("Received — a social worker will look at it soon")
    if status == S.IN_REVIEW:
        return _("A social worker is looking at it")
    if status == S.NEEDS_INFO:
        return _("We need more information from you")
    if status == S.REFERRED:
        return _("Sent to %(partner)s", partner=_partner_name(_current_partner(request)))
    if status == S.IN_PROGRESS:
        return upper_first(
            _("%(partner)s is working on it", partner=_partner_name(_current_partner(request)))
        )
    if status == S.ASSISTANCE_PROVIDED:
        return _("Help given")
    if status == S.WITHDRAWN:
        return _("You withdrew this request")
    outcome = request.close_outcome
    if outcome == CloseOutcome.HELP_GIVEN:
        return _("Finished — help was given")
    if outcome == CloseOutcome.DUPLICATE:
        return _("Closed — you asked for the same help in another request")
    if outcome == CloseOutcome.NOT_ELIGIBLE:
        return _("Closed — we cannot help with this request")
    if outcome == CloseOutcome.UNREACHABLE:
        return _("Closed — we could not reach you")
    if outcome == CloseOutcome.NOT_CONFIRMED:
        return _("Finished — help was given; we did not hear back from you")
    return _("Closed")


def status_tone(request: AssistanceRequest) -> str:
    """A CSS hint: 'act' when the returnee must do something, 'done' when finished."""
    if request.status == S.NEEDS_INFO:
        return "act"
    if request.status in (S.ASSISTANCE_PROVIDED, S.CLOSED, S.WITHDRAWN):
        return "done"
    return "open"


def event_text(event: Event, partners: dict[int, PartnerOrganisation]) -> str:
    """One line of the returnee's timeline."""
    partner = partners.get((event.data or {}).get("partner_id"))
    kind = event.kind
    if kind == "submitted":
        return _("You asked for help")
    if kind == "review_started":
        return _("A social worker started to look at your request")
    if kind == "info_requested":
        return _("The social worker asked you for more information")
    if kind == "info_given":
        return _("You gave more information")
    if kind == "referred":
        return _("Sent to %(partner)s", partner=_partner_name(partner))
    if kind == "referral_accepted":
        return upper_first(_("%(partner)s agreed to help you", partner=_partner_name(partner)))
    if kind == "referral_returned":
        return _("The organisation could not help. A social worker is looking for another way")
    if kind == "assistance_provided":
        return upper_first(_("%(partner)s gave help", partner=_partner_name(partner)))
    if kind == "help_confirmation":
        answer = (event.data or {}).get("answer")
        if answer == "yes":
            return _("You confirmed that you received the help")
        if answer == "partly":
            return _("You said that you received only part of the help")
        return _("You said that you did not receive the help")
    if kind == "assistance_recorded":
        return upper_first(
            _("%(partner)s recorded help given to you", partner=_partner_name(partner))
        )
    if kind == "reopened":
        if (event.data or {}).get("confirmation"):
            return _("A social worker will look at your request again")
        return _("A social worker opened your request again")
    if kind == "withdrawn":
        return _("You withdrew your request")
    if kind == "closed":
        return _("Your request was closed")
    if event.to_status:
        return status_label_for(event.to_status)
    return _("Your request was updated")


def status_label_for(value: str) -> str:
    try:
        return S(value).label
    except ValueError:
        return _("Your request was updated")


def what_happens_next(request: AssistanceRequest) -> str:
    """The next step, so the returnee knows whether to wait or to act."""
    status = request.status
    if status in (S.SUBMITTED, S.IN_REVIEW) and request.priority == Priority.URGENT:
        return _("Your request is marked urgent: a social worker sees it first.")
    if status in (S.SUBMITTED, S.IN_REVIEW):
        return _(
            "A social worker usually looks at a new request within 2 working days. "
            "They will contact you the way you chose."
        )
    if status == S.NEEDS_INFO:
        return _("Read the question from the social worker below and answer it.")
    if status == S.REFERRED:
        return _("The organisation will reply within a few working days.")
    if status == S.IN_PROGRESS:
        return _("The organisation will contact you about the help.")
    if request.awaits_confirmation:
        return _("Tell us below whether you received the help.")
    return ""
