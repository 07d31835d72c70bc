"""The parts of a change's detail answer (GET /api/v1/changes/{id}), each from what the page's reads give."""

from accountability.api.outputs import controls_out, person_ref
from accountability.changes.models import AIProvenance


def commits_out(commits) -> list[dict]:
    return [
        {"sha": c.sha, "message": c.message, "author_login": c.author_login, "committed_at": c.committed_at}
        for c in commits
    ]


def provenance_out(provenance: AIProvenance | None, *, ai_share) -> dict:
    """What AI wrote and how we know; `unknown` with no signal at all."""
    if provenance is None:
        return {
            "level": AIProvenance.Level.UNKNOWN,
            "ai_share": ai_share,
            "tools": [],
            "models": [],
            "drivers": [],
            "sources": [],
            "confidence": AIProvenance.Confidence.NONE,
            "ai_lines": {},
        }
    return {
        "level": provenance.level,
        "ai_share": ai_share,
        "tools": provenance.tools,
        "models": provenance.ai_models,
        "drivers": [p.name for p in provenance.drivers.all()] or provenance.driver_logins,
        "sources": provenance.sources,
        "confidence": provenance.confidence,
        "ai_lines": provenance.ai_lines,
    }


def evidence_out(notes) -> list[dict]:
    """Each piece of evidence with whether it counts for the policy, and why not when it does not."""
    return [
        {
            "kind": note.evidence.kind,
            "result": note.evidence.result,
            "url": note.evidence.url,
            "sha": note.evidence.sha,
            "actor": note.evidence.actor_login,
            "source": note.evidence.source,
            "at": note.evidence.at,
            "counts": note.counts,
            "why": note.why,
        }
        for note in notes
    ]


def rollback_plan_out(plan) -> dict | None:
    if plan is None:
        return None
    return {
        "strategy": plan.strategy,
        "steps": plan.steps,
        "expected_minutes": plan.expected_minutes,
        "data_reversible": plan.data_reversible,
        "last_rehearsed_at": plan.last_rehearsed_at,
        "last_rehearsed_by": person_ref(plan.last_rehearsed_by),
        "inherited": plan.change_id is None,
    }


def blast_radius_out(radius) -> dict | None:
    if radius is None:
        return None
    return {
        "score": radius.score,
        "unknown": radius.unknown,
        "impacted_count": radius.impacted_count,
        "unknown_count": radius.unknown_count,
        "impacted": radius.impacted,
        "teams": radius.teams,
        "on_call": radius.on_call,
        "computed_at": radius.computed_at,
    }


def risk_out(risk) -> dict | None:
    if risk is None:
        return None
    return {"score": risk.score, "factors": risk.factors, "computed_at": risk.computed_at}


def policy_out(results) -> list[dict]:
    return [
        {
            "environment": result.environment,
            "decision": result.decision,
            "controls": controls_out(result.controls),
            "policy_version": result.policy_version,
            "computed_at": result.computed_at,
        }
        for result in results
    ]


def signoffs_out(signoffs) -> list[dict]:
    """The ledger entries of the change, oldest first, with their hashes and how each signer had signed in."""
    return [
        {
            "id": entry.id,
            "signer": person_ref(entry.signer),
            "decision": entry.decision,
            "revokes": entry.revokes_id,
            "read_ai_parts": entry.read_ai_parts,
            "understood_blast_radius": entry.understood_blast_radius,
            "rollback_ready": entry.rollback_ready,
            "on_call_through_bake": entry.on_call_through_bake,
            "delegate": person_ref(entry.delegate),
            "note": entry.note,
            "override_reason": entry.override_reason,
            "policy_decision": entry.policy_decision,
            "policy_version": entry.policy_version,
            "created_at": entry.created_at,
            "hash": entry.hash,
            "authenticated": _signed_in(entry),
        }
        for entry in signoffs
    ]


def _signed_in(entry) -> dict | None:
    if not entry.auth_method:
        return None
    return {
        "method": entry.auth_method,
        "at": entry.auth_at,
        "provider": entry.auth_provider,
        "amr": entry.auth_amr,
        "acr": entry.auth_acr,
    }


def deployments_out(deployments) -> list[dict]:
    return [
        {
            "environment": d.environment,
            "status": d.status,
            "started_at": d.started_at,
            "finished_at": d.finished_at,
            "deployed_by": d.deployed_by.name if d.deployed_by else d.deployed_by_login,
            "url": d.url,
        }
        for d in deployments
    ]
