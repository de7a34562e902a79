"""Words the pages show for the domains' codes (states, outcomes, events, SLA, kinds, categories).

Message ids are marked with ``N_`` and translated where they are shown. The SLA states also carry an icon
name and a text, so a deadline's state never relies on colour alone (WCAG 1.4.1).
"""

from __future__ import annotations

from dataclasses import dataclass

from shaffof.web.ui.i18n import N_

STATES = {
    "submitted": N_("Submitted"),
    "registered": N_("Registered"),
    "in_review": N_("In review"),
    "info_requested": N_("Information requested"),
    "forwarded": N_("Forwarded to another body"),
    "decided": N_("Decided"),
    "closed": N_("Closed"),
}
OUTCOMES = {
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "partially_approved": N_("Partially approved"),
    "left_unconsidered": N_("Left unconsidered"),
}
EVENTS = {
    "submitted": N_("Submitted"),
    "registered": N_("Registered"),
    "taken": N_("Taken for review"),
    "info_requested": N_("Information requested"),
    "info_provided": N_("Information provided"),
    "forwarded": N_("Forwarded"),
    "decided": N_("Decided"),
    "closed": N_("Closed"),
    "contested": N_("Decision contested"),
    "extended": N_("Deadline extended"),
    "deadline_recomputed": N_("Deadline recomputed"),
    "sla_changed": N_("Deadline status changed"),
    "escalated": N_("Escalated"),
    "decision_issued": N_("Decision document issued"),
    "process_handed_over": N_("Handed over to an officer by the automated process"),
    "automation_parked": N_("Automated processing stopped: an officer takes over"),
    "decision_reviewed": N_("Automated decision reviewed by an officer"),
    "assigned": N_("Assigned to an officer"),
    "reassigned": N_("Reassigned to another officer"),
    "decision_proposed": N_("Decision proposed, awaiting a second officer's approval"),
    "decision_sent_back": N_("Proposed decision sent back"),
}
FOUR_EYES_WHY = {  # why a decision waits for a second officer (integrity/service.py needs_second_approval)
    "service_declares": N_("The service requires a second officer for this outcome."),
    "reversal_on_review": N_("A decision that reverses the reviewed one always needs a second officer."),
}
KINDS = {
    "application": N_("Service"),
    "ariza": N_("Application (ariza)"),
    "taklif": N_("Proposal (taklif)"),
    "shikoyat": N_("Complaint (shikoyat)"),
}
CATEGORIES = {
    "appeals": N_("Appeals"),
    "business": N_("Business"),
    "certificates": N_("Certificates"),
    "civil-registry": N_("Civil registry"),
    "construction": N_("Construction"),
    "digital-identity": N_("Digital identity"),
    "identity-documents": N_("Identity documents"),
    "land": N_("Land"),
    "pensions": N_("Pensions"),
    "real-estate": N_("Real estate"),
    "residence": N_("Residence"),
    "social-protection": N_("Social protection"),
    "taxes": N_("Taxes"),
}
DOCUMENT_TYPES = {"decision": N_("Decision"), "info_response": N_("Answer to a request")}


@dataclass(frozen=True)
class SlaLabel:
    text: str  # message id
    icon: str  # the symbol shown before the text (decorative: the text says it)
    css: str


SLA = {
    "on_track": SlaLabel(N_("On track"), "✓", "sla-on-track"),
    "at_risk": SlaLabel(N_("At risk"), "!", "sla-at-risk"),
    "overdue": SlaLabel(N_("Overdue"), "✕", "sla-overdue"),
    "long_overdue": SlaLabel(N_("Long overdue"), "✕✕", "sla-long-overdue"),
}
