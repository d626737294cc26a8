"""`/v1/records/{id}/registration`: the registry system writes back the case number under
which it registered a record (DOMAIN rule 5)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.records import RegistrationSchema
from schemas.review import RegistrationBodySchema
from service.api.auth import actor, require
from service.api.context import services
from service.api.records import visible_record
from service.auth.tokens import REGISTRY_WRITE

blp = Blueprint(
    "registration",
    __name__,
    url_prefix="/v1/records",
    description="Registration in the registry system (diarium), written back by it.",
)


@blp.route("/<record_id>/registration")
class Registration(MethodView):
    @require(REGISTRY_WRITE)
    @blp.arguments(RegistrationBodySchema)
    @blp.response(200, RegistrationSchema)
    @blp.alt_response(404, description="No such record (or another site's).")
    @blp.alt_response(409, description="The registration changed meanwhile; try again.")
    @blp.alt_response(422, description="Invalid body; `errors` names the fields.")
    def put(self, body: dict[str, Any], record_id: str) -> dict[str, Any]:
        """Register a record under a case number (diarienummer); the same body again changes
        nothing"""
        svc = services()
        # Secret records must be registered (DOMAIN rule 5): they are found here too.
        row = visible_record(record_id, secret=True)
        entry, written = svc.registrations.record(
            record_id,
            body["case_number"],
            case_title=body["case_title"],
            registered_at=body["registered_at"],
            registered_by=body["registered_by"],
            version=row.latest_version,
            actor=actor(),
        )
        if written:
            svc.audit.record(
                "registration.registered",
                record_id,
                actor=actor(),
                details={"case_number": entry["case_number"]},
                decision=True,
            )
        return entry
