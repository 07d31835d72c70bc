"""One glossary for the words the pages show: every code the analysis stores gets a plain label here.

Codes stay the contract with the API and the database; people read the labels. A code missing from
the glossary is shown humanised ("LARGE_DIFF" → "large diff"), never raw, and a test lists the codes
the models and the analysis define so a new one is noticed.
"""

TERMS: dict[str, str] = {
    # Ownership gaps (analysis.models.Gap.Code)
    "SERVICE_NO_OWNER": "service has no owner",
    "OWNER_DEPARTED": "owner has left",
    "TEAM_NO_ONCALL": "team has nobody on call",
    "UNSIGNED_PRODUCTION_CHANGE": "in production without sign-off",
    "SIGNER_NOT_ACCOUNTABLE": "signed by someone not accountable",
    "AI_CHANGE_UNREVIEWED": "AI-written change without human review",
    "AI_CHANGE_UNVERIFIED": "AI-written change without verification",
    "NO_ROLLBACK_PLAN": "no rollback plan",
    "ROLLBACK_NEVER_REHEARSED": "rollback never rehearsed",
    "POLICY_OVERRIDDEN": "policy overridden at sign-off",
    "CODEOWNERS_DRIFT": "CODEOWNERS disagrees with the catalog",
    "OWNERSHIP_STALE": "ownership not confirmed lately",
    "SINGLE_POINT_OF_OWNERSHIP": "only one person can own it",
    # Risk factors (analysis.risk)
    "AI_UNKNOWN": "AI share unknown",
    "AI_UNREVIEWED": "AI-written, no human review",
    "AI_UNVERIFIED": "AI-written, no canary or QA",
    "BLAST_RADIUS": "wide blast radius",
    "BLAST_RADIUS_UNKNOWN": "blast radius unknown",
    "CI_FAILED": "CI tests failed",
    "FORWARD_FIX_ONLY": "forward fix only",
    "IRREVERSIBLE_DATA_CHANGE": "data change cannot be undone",
    "LARGE_DIFF": "large change",
    "NO_CI_TESTS": "no CI test result",
    "ROLLBACK_NOT_REHEARSED": "rollback not rehearsed",
    "OFF_HOURS_DEPLOY": "deployed out of hours",
    "RECENT_INCIDENTS": "recent incidents on the service",
    "SIGNER_NOT_ON_CALL": "signer not on call",
    "UNSIGNED": "not signed off",
    # Suspect reasons (incidents.suspects)
    "TIME_PROXIMITY": "deployed shortly before",
    "DEPLOYED_AFTER_START": "deployed after the start",
    "GRAPH_DISTANCE": "close in the dependency graph",
    "ARTIFACT_MATCH": "incident names its artifact",
    "NAMED_IN_TIMELINE": "named by a responder",
    "CHANGE_RISK": "risky change",
    "ROLLED_BACK_DURING": "rolled back during the incident",
    "ROLLED_BACK_BEFORE": "rolled back before the incident",
    # Evidence kinds and results (changes.models.Evidence)
    "ci_tests": "CI tests",
    "human_review": "human review",
    "canary_analysis": "canary analysis",
    "load_test": "load test",
    "security_scan": "security scan",
    "manual_qa": "manual QA",
    "build_provenance": "build provenance",
    "rollback_rehearsal": "rollback rehearsal",
    # Provenance signal sources (changes.models.AIProvenance.SignalSource)
    "agent_trace": "Agent Trace record",
    "git_ai_note": "git-ai note",
    "api_attestation": "API attestation",
    "trailer": "commit trailer",
    "message": "commit message",
    "bot_author": "AI agent account",
    "label": "PR label",
    # Suspect verdicts and the incident timeline
    "confirmed": "confirmed cause",
    "ruled_out": "ruled out",
    "suspect_confirmed": "cause confirmed",
    "suspect_ruled_out": "suspect ruled out",
    "suspect_verdict_undone": "verdict undone",
    "triggered": "triggered",
    "acknowledged": "acknowledged",
    "resolved": "resolved",
    "annotated": "note",
    # Policy
    "allow": "allowed",
    "warn": "allowed with warnings",
    "deny": "denied",
    "required": "required",
    "recommended": "recommended",
}


def term(code: str | None) -> str:
    """The plain label of a code; an unknown code humanised rather than shown raw."""
    if not code:
        return ""
    return TERMS.get(code) or code.replace("_", " ").lower()
