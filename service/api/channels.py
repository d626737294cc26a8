"""`/v1/channels`: the channel register. Channels are closed, never deleted (DELETE is 405)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.channels import (
    ChannelArgsSchema,
    ChannelChangeSchema,
    ChannelCloseSchema,
    ChannelCreateSchema,
    ChannelDetailSchema,
    ChannelRevisionSchema,
    ChannelSchema,
)
from service.api.auth import actor, require
from service.api.context import services
from service.auth.tokens import ADMIN, READ

blp = Blueprint(
    "channels",
    __name__,
    url_prefix="/v1/channels",
    description="The channel register (förteckning över sociala medier): every channel the "
    "authority is active on, active and closed. A channel is closed, never deleted: there is "
    "no DELETE (405). Every registered WordPress site is a channel.",
)


@blp.route("")
class Channels(MethodView):
    @require(READ)
    @blp.arguments(ChannelArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, ChannelSchema(many=True))
    def get(self, status: str | None = None, platform: str | None = None) -> list[dict[str, Any]]:
        """Every channel, active and closed"""
        return services().channels.all(status=status, platform=platform)

    @require(ADMIN)
    @blp.arguments(ChannelCreateSchema)
    @blp.response(201, ChannelRevisionSchema)
    @blp.alt_response(422, description="A field is invalid; `errors` names it.")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add a channel"""
        note = body.pop("note")
        return services().channels.create(body, actor=actor(), note=note)


@blp.route("/<channel_id>")
class ChannelDetail(MethodView):
    @require(READ)
    @blp.response(200, ChannelDetailSchema)
    def get(self, channel_id: str) -> dict[str, Any]:
        """One channel with every revision"""
        revisions = services().channels.history(channel_id)
        return {**revisions[-1], "revisions": revisions}

    @require(ADMIN)
    @blp.arguments(ChannelChangeSchema(partial=True))
    @blp.response(200, ChannelRevisionSchema)
    @blp.alt_response(409, description="`revision` is not the latest: read and try again.")
    def patch(self, body: dict[str, Any], channel_id: str) -> dict[str, Any]:
        """Change a channel: a new revision"""
        revision, note = body.pop("revision", None), body.pop("note", None)
        return services().channels.change(
            channel_id, body, actor=actor(), revision=revision, note=note
        )


@blp.route("/<channel_id>/close")
class ChannelClose(MethodView):
    @require(ADMIN)
    @blp.arguments(ChannelCloseSchema)
    @blp.response(200, ChannelRevisionSchema)
    @blp.alt_response(409, description="The channel is closed already.")
    def post(self, body: dict[str, Any], channel_id: str) -> dict[str, Any]:
        """Close a channel; it stays in the register and its records stay kept"""
        return services().channels.close(
            channel_id, body["closed_on"], actor=actor(), note=body["note"]
        )
