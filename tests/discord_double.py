"""A local stand-in for Discord's REST API and gateway, for running the real discord.py client offline.

It serves what the bot uses (login, command sync, messages, interaction responses, follow-ups,
attachments, the gateway handshake and events) and rejects what Discord rejects: over-long content
and embeds with Discord's 400 "Invalid Form Body" body, a second initial response to one interaction,
a follow-up before the initial response, and requests without the bot token.
Everything it receives is recorded, so tests can assert on the exact payloads.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

DISCORD_EPOCH_MS = 1_420_070_400_000
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 31)  # view, send, embed, history, use commands
ALL_PERMISSIONS = (1 << 51) - 1

EPHEMERAL = 64
LIMITS = {"content": 2000, "title": 256, "description": 4096, "fields": 25, "field.name": 256,
          "field.value": 1024, "footer.text": 2048, "author.name": 256, "embeds": 10, "total": 6000}


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000+00:00", time.gmtime())


def _json(data: Any, status: int = 200) -> web.Response:
    # Discord answers `application/json` exactly; discord.py's login rejects a charset suffix.
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"})


def _form_error(errors: dict[str, Any]) -> web.Response:
    return _json({"code": 50035, "errors": errors, "message": "Invalid Form Body"}, status=400)


def _max_length(limit: int) -> dict[str, Any]:
    return {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {limit} or fewer in length."}]}


def embed_length(embed: dict[str, Any]) -> int:
    """Characters that count towards Discord's 6000 per message, as Discord counts them."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "") + len((embed.get("author") or {}).get("name") or "")
    for f in embed.get("fields") or []:
        total += len(f.get("name") or "") + len(f.get("value") or "")
    return total


def validate_message(payload: dict[str, Any]) -> dict[str, Any] | None:
    """Discord's checks on a message body: the `errors` object of a 400 response, or None when valid."""
    errors: dict[str, Any] = {}
    content = payload.get("content")
    if content is not None and len(content) > LIMITS["content"]:
        errors["content"] = _max_length(LIMITS["content"])
    embeds = payload.get("embeds") or []
    if len(embeds) > LIMITS["embeds"]:
        errors["embeds"] = _max_length(LIMITS["embeds"])
        return errors
    embed_errors: dict[str, Any] = {}
    for i, embed in enumerate(embeds):
        problems: dict[str, Any] = {}
        for key in ("title", "description"):
            if len(embed.get(key) or "") > LIMITS[key]:
                problems[key] = _max_length(LIMITS[key])
        footer = (embed.get("footer") or {}).get("text") or ""
        if len(footer) > LIMITS["footer.text"]:
            problems["footer"] = {"text": _max_length(LIMITS["footer.text"])}
        fields = embed.get("fields") or []
        if len(fields) > LIMITS["fields"]:
            problems["fields"] = _max_length(LIMITS["fields"])
        for j, f in enumerate(fields):
            field_problems = {}
            if not f.get("name"):
                field_problems["name"] = {"_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]}
            elif len(f["name"]) > LIMITS["field.name"]:
                field_problems["name"] = _max_length(LIMITS["field.name"])
            if not f.get("value"):
                field_problems["value"] = {"_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]}
            elif len(f["value"]) > LIMITS["field.value"]:
                field_problems["value"] = _max_length(LIMITS["field.value"])
            if field_problems:
                problems.setdefault("fields", {})[str(j)] = field_problems
        if problems:
            embed_errors[str(i)] = problems
    if embed_errors:
        errors["embeds"] = embed_errors
    elif sum(embed_length(e) for e in embeds) > LIMITS["total"]:
        errors["embeds"] = {"_errors": [{"code": "MAX_EMBED_SIZE_EXCEEDED", "message": "Embed size exceeds maximum size of 6000"}]}
    for r, row in enumerate(payload.get("components") or []):
        for c, component in enumerate(row.get("components") or []):
            if len(component.get("label") or "") > 80 or len(component.get("custom_id") or "") > 100:
                errors.setdefault("components", {})[f"{r}.{c}"] = _max_length(80)
    if not errors and payload.get("_new") and not (content or embeds or payload.get("components")):
        errors["content"] = {"_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "Cannot send an empty message"}]}
    return errors or None


@dataclass
class Sent:
    """One message body the bot sent (or an edit of one), as Discord received it."""

    route: str  # "channel", "reply", "callback", "followup", "edit", "edit-original"
    payload: dict[str, Any]
    message: dict[str, Any] | None = None
    interaction_id: int | None = None

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.payload.get("embeds") or []

    @property
    def ephemeral(self) -> bool:
        return bool((self.payload.get("flags") or 0) & EPHEMERAL)


@dataclass
class InteractionRecord:
    id: int
    token: str
    payload: dict[str, Any]
    initial: dict[str, Any] | None = None  # the callback body, once there is one
    followups: list[Sent] = field(default_factory=list)
    original: dict[str, Any] | None = None  # the message the initial response created, if any
    original_deleted: bool = False

    @property
    def initial_type(self) -> int | None:
        return None if self.initial is None else self.initial["type"]


class DiscordDouble:
    """Discord's REST API and gateway on 127.0.0.1, with one guild, one text channel and some members."""

    def __init__(self, token: str = "double-token.BOT.secret-part-0123456789") -> None:
        self.token = token
        self._ids = itertools.count(1)
        self.application_id = self.snowflake()
        self.bot_user = self._user(self.application_id, "newsqa", bot=True)
        self.guild_id = self.snowflake()
        self.channel_id = self.snowflake()
        self.thread_id = self.snowflake()  # a public thread under the channel
        self.owner = self._user(self.snowflake(), "owner")
        self.commands: dict[tuple[int | None, str], dict[str, Any]] = {}
        self.sync_calls: list[tuple[int | None, list[dict[str, Any]]]] = []
        self.sent: list[Sent] = []
        self.rejected: list[tuple[str, int, dict[str, Any]]] = []
        self.unhandled: list[str] = []
        self.interactions: dict[int, InteractionRecord] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.attachments: dict[str, bytes] = {}
        self.identifies: list[dict[str, Any]] = []
        self.typing: int = 0
        self.fetched: list[int] = []  # message ids the bot read back with GET
        self._sockets: list[tuple[web.WebSocketResponse, list[int]]] = []
        self._seq = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- ids and objects ------------------------------------------------------------------------

    def snowflake(self) -> int:
        return ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) + next(self._ids)

    @staticmethod
    def _user(user_id: int, name: str, bot: bool = False) -> dict[str, Any]:
        return {"id": str(user_id), "username": name, "discriminator": "0", "global_name": name, "avatar": None,
                "bot": bot, "public_flags": 0, "flags": 0}

    def new_user(self, name: str) -> dict[str, Any]:
        return self._user(self.snowflake(), name)

    def _member(self, user: dict[str, Any], permissions: int | None = None) -> dict[str, Any]:
        member = {"user": user, "roles": [], "joined_at": _now_iso(), "deaf": False, "mute": False, "flags": 0,
                  "nick": None, "avatar": None, "pending": False}
        if permissions is not None:
            member["permissions"] = str(permissions)
        return member

    def _channel(self) -> dict[str, Any]:
        return {"id": str(self.channel_id), "type": 0, "guild_id": str(self.guild_id), "name": "news", "position": 0,
                "permission_overwrites": [], "nsfw": False, "parent_id": None, "topic": None, "last_message_id": None,
                "rate_limit_per_user": 0, "flags": 0}

    def _thread(self) -> dict[str, Any]:
        return {"id": str(self.thread_id), "type": 11, "guild_id": str(self.guild_id), "name": "follow-ups",
                "parent_id": str(self.channel_id), "owner_id": self.owner["id"], "last_message_id": None,
                "rate_limit_per_user": 0, "message_count": 0, "member_count": 1, "flags": 0,
                "thread_metadata": {"archived": False, "auto_archive_duration": 1440, "archive_timestamp": _now_iso(),
                                    "locked": False}}

    def _guild(self) -> dict[str, Any]:
        everyone = {"id": str(self.guild_id), "name": "@everyone", "permissions": str(MEMBER_PERMISSIONS), "position": 0,
                    "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}
        return {"id": str(self.guild_id), "name": "Newsroom", "icon": None, "owner_id": self.owner["id"],
                "roles": [everyone], "emojis": [], "stickers": [], "features": [], "channels": [self._channel()],
                "threads": [self._thread()], "members": [self._member(self.bot_user)], "member_count": 1, "voice_states": [],
                "presences": [], "large": False, "unavailable": False, "verification_level": 0,
                "default_message_notifications": 0, "explicit_content_filter": 0, "mfa_level": 0, "afk_timeout": 300,
                "premium_tier": 0, "preferred_locale": "en-US", "nsfw_level": 0, "system_channel_flags": 0,
                "joined_at": _now_iso(), "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": []}

    def _message(self, payload: dict[str, Any], *, author: dict[str, Any] | None = None, webhook: bool = False,
                 reference: dict[str, Any] | None = None, message_id: int | None = None,
                 channel_id: int | None = None) -> dict[str, Any]:
        message = {
            "id": str(message_id or self.snowflake()), "channel_id": str(channel_id or self.channel_id),
            "guild_id": str(self.guild_id),
            "author": author or self.bot_user, "content": payload.get("content") or "", "timestamp": _now_iso(),
            "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [],
            "attachments": [], "embeds": payload.get("embeds") or [], "components": payload.get("components") or [],
            "pinned": False, "type": 19 if reference else 0, "flags": payload.get("flags") or 0,
        }
        if webhook:
            message["webhook_id"] = str(self.application_id)
            message["application_id"] = str(self.application_id)
        if reference:
            message["message_reference"] = reference
        self.messages[int(message["id"])] = message
        return message

    # --- server ---------------------------------------------------------------------------------

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{name}", self._attachment)
        app.router.add_route("*", "/api/v10/{path:.*}", self._api)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        for ws, _ in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _attachment(self, request: web.Request) -> web.Response:
        data = self.attachments.get(request.match_info["name"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, headers={"Content-Type": "application/octet-stream"})

    # --- gateway --------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        shards: list[int] = []
        entry = (ws, shards)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None}))
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op = frame.get("op")
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
                elif op == 2:
                    await self._identify(ws, frame["d"], entry)
        finally:
            if entry in self._sockets:
                self._sockets.remove(entry)
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any], entry: tuple) -> None:
        self.identifies.append({k: v for k, v in data.items() if k != "token"} | {"token_ok": data.get("token") == self.token})
        if data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        shard_id, shard_count = data.get("shard") or [0, 1]
        entry[1].extend([shard_id, shard_count])
        guild_here = (self.guild_id >> 22) % shard_count == shard_id
        ready = {"v": 10, "user": self.bot_user, "guilds": [{"id": str(self.guild_id), "unavailable": True}] if guild_here else [],
                 "session_id": f"session-{shard_id}", "resume_gateway_url": self.gateway_url,
                 "application": {"id": str(self.application_id), "flags": 0}, "shard": [shard_id, shard_count],
                 "private_channels": [], "relationships": []}
        await self._send(ws, "READY", ready)
        if guild_here:
            await self._send(ws, "GUILD_CREATE", self._guild())
        self._sockets.append(entry)

    async def _send(self, ws: web.WebSocketResponse, event: str, data: dict[str, Any]) -> None:
        await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an event to the shard that holds the guild."""
        await self.wait_for(lambda: self._sockets, what="a gateway connection")
        for ws, (shard_id, shard_count) in self._sockets:
            if (self.guild_id >> 22) % shard_count == shard_id:
                await self._send(ws, event, data)
                return
        raise AssertionError("no connected shard holds the guild")

    # --- what a test does as a member ------------------------------------------------------------

    async def post_message(self, content: str, author: dict[str, Any], mention_bot: bool = True,
                           reply_to: int | None = None, channel_id: int | None = None) -> int:
        """A member writes in the channel (or `channel_id`, e.g. the thread); `mention_bot` adds the bot
        to the parsed mentions. With `reply_to`, Discord's Reply: the message refers to that one and
        Discord sends it along (`referenced_message`); with the mention left on, the replied-to author is
        in `mentions` though the text has no `<@id>`."""
        reference = None
        if reply_to is not None:
            target = self.messages[reply_to]
            reference = {"message_id": str(reply_to), "channel_id": target["channel_id"], "guild_id": str(self.guild_id)}
        message = self._message({"content": content}, author=author, reference=reference, channel_id=channel_id)
        if mention_bot:
            message["mentions"] = [self.bot_user]
        message["member"] = self._member(author)
        event = dict(message)
        if reply_to is not None:
            event["referenced_message"] = self._without_reference(self.messages[reply_to])
        await self.dispatch("MESSAGE_CREATE", event)
        return int(message["id"])

    @staticmethod
    def _without_reference(message: dict[str, Any]) -> dict[str, Any]:
        """A referenced message as Discord nests it: one level deep, without its own referenced message."""
        return {k: v for k, v in message.items() if k != "referenced_message"}

    async def invoke(self, name: str, user: dict[str, Any], permissions: int = MEMBER_PERMISSIONS,
                     attachment: tuple[str, bytes] | None = None, **options: Any) -> int:
        """A member runs a synced slash command; returns the interaction id."""
        command = self.commands.get((self.guild_id, name)) or self.commands.get((None, name))
        if command is None:
            raise AssertionError(f"/{name} was never synced; synced: {sorted(n for _, n in self.commands)}")
        known = {o["name"]: o for o in command.get("options", [])}
        data: dict[str, Any] = {"id": command["id"], "name": name, "type": 1, "options": []}
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        for key, value in options.items():
            if key not in known:
                raise AssertionError(f"/{name} has no option {key!r}")
            data["options"].append({"name": key, "type": known[key]["type"], "value": value})
        if attachment is not None:
            filename, body = attachment
            attachment_id = str(self.snowflake())
            url_name = f"{attachment_id}.bin"
            self.attachments[url_name] = body
            option = next(o for o in known.values() if o["type"] == 11)
            data["options"].append({"name": option["name"], "type": 11, "value": attachment_id})
            url = f"http://127.0.0.1:{self.port}/attachments/{url_name}"
            data["resolved"] = {"attachments": {attachment_id: {
                "id": attachment_id, "filename": filename, "size": len(body), "url": url, "proxy_url": url,
                "content_type": "text/plain; charset=utf-8"}}}
        return await self._interaction(2, data, user, permissions)

    async def click(self, message: dict[str, Any], label: str, user: dict[str, Any],
                    permissions: int = MEMBER_PERMISSIONS) -> int:
        """A member presses the button labelled `label` under `message`; returns the interaction id."""
        for row in message.get("components") or []:
            for button in row.get("components") or []:
                if button.get("label") == label:
                    data = {"custom_id": button["custom_id"], "component_type": 2}
                    return await self._interaction(3, data, user, permissions, message=message)
        raise AssertionError(f"no button {label!r} under the message")

    async def _interaction(self, kind: int, data: dict[str, Any], user: dict[str, Any], permissions: int,
                           message: dict[str, Any] | None = None) -> int:
        interaction_id = self.snowflake()
        token = f"interaction-token-{interaction_id}"
        payload = {"id": str(interaction_id), "application_id": str(self.application_id), "type": kind, "data": data,
                   "guild_id": str(self.guild_id), "channel_id": str(self.channel_id), "channel": self._channel(),
                   "member": self._member(user, permissions), "token": token, "version": 1,
                   "app_permissions": str(ALL_PERMISSIONS), "locale": "en-US", "guild_locale": "en-US",
                   "entitlements": [], "authorizing_integration_owners": {"0": str(self.guild_id)}, "context": 0,
                   "attachment_size_limit": 10 * 1024 * 1024}
        if message is not None:
            payload["message"] = message
        self.interactions[interaction_id] = InteractionRecord(interaction_id, token, payload)
        await self.dispatch("INTERACTION_CREATE", payload)
        return interaction_id

    # --- waiting --------------------------------------------------------------------------------

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "a condition") -> Any:
        """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}; rejected: {self.rejected}; "
                                     f"unhandled: {self.unhandled}")
            await asyncio.sleep(0.01)

    async def reply_to(self, interaction_id: int, timeout: float = 10.0) -> Sent:
        """The message that answers an interaction: its first follow-up, or a message-bearing callback."""
        record = self.interactions[interaction_id]

        def answered() -> Sent | None:
            if record.followups:
                return record.followups[0]
            if record.initial is not None and record.initial["type"] in (4, 7):
                return next(s for s in self.sent if s.interaction_id == interaction_id and s.route == "callback")
            return None

        return await self.wait_for(answered, timeout, what=f"a reply to interaction {interaction_id}")

    def replies_to_message(self, message_id: int) -> list[Sent]:
        return [s for s in self.sent if s.route == "reply"
                and str((s.payload.get("message_reference") or {}).get("message_id")) == str(message_id)]

    # --- REST -----------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        parts = path.strip("/").split("/")
        method = request.method
        body: dict[str, Any] | list[Any] | None = None
        if request.can_read_body:
            if request.content_type == "multipart/form-data":
                form = await request.post()
                body = json.loads(form["payload_json"]) if "payload_json" in form else {}
            else:
                raw = await request.read()
                body = json.loads(raw) if raw else None
        webhook_route = parts[0] in ("webhooks", "interactions")
        if not webhook_route and request.headers.get("Authorization") != f"Bot {self.token}":
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)

        if method == "GET" and path == "/users/@me":
            return _json(self.bot_user)
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json({"id": str(self.application_id), "name": "newsqa", "description": "", "icon": None,
                          "bot_public": False, "bot_require_code_grant": False, "owner": self.owner,
                          "verify_key": "0" * 64, "flags": 0, "team": None, "summary": "", "rpc_origins": []})
        if method == "GET" and path in ("/gateway", "/gateway/bot"):
            return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": {
                "total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}})
        if method == "PUT" and parts[0] == "applications" and parts[-1] == "commands":
            guild_id = int(parts[3]) if len(parts) == 5 else None
            return self._sync_commands(guild_id, body or [])
        if parts[0] == "channels":
            return await self._channel_route(method, parts, body or {})
        if parts[0] == "interactions" and method == "POST" and parts[-1] == "callback":
            return self._callback(int(parts[1]), parts[2], body or {}, request.query.get("with_response"))
        if parts[0] == "webhooks":
            return self._webhook(method, parts, body or {}, request.query.get("wait") in ("1", "true", "True"))
        self.unhandled.append(f"{method} {path}")
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    def _reject(self, route: str, response: web.Response) -> web.Response:
        self.rejected.append((route, response.status, json.loads(response.body)))
        return response

    def _sync_commands(self, guild_id: int | None, payload: list[dict[str, Any]]) -> web.Response:
        self.sync_calls.append((guild_id, payload))
        for key in [k for k in self.commands if k[0] == guild_id]:
            del self.commands[key]
        out = []
        for command in payload:
            stored = dict(command, id=str(self.snowflake()), application_id=str(self.application_id), version="1")
            if stored.get("default_member_permissions") is not None:  # Discord answers with a string
                stored["default_member_permissions"] = str(stored["default_member_permissions"])
            if guild_id is not None:
                stored["guild_id"] = str(guild_id)
            self.commands[(guild_id, command["name"])] = stored
            out.append(stored)
        return _json(out)

    async def _channel_route(self, method: str, parts: list[str], body: dict[str, Any]) -> web.Response:
        # channels/{id}/typing | channels/{id}/messages | channels/{id}/messages/{mid}
        if parts[-1] == "typing" and method == "POST":
            self.typing += 1
            return web.Response(status=204)
        if len(parts) == 3 and parts[2] == "messages" and method == "POST":
            errors = validate_message(body | {"_new": True})
            if errors:
                return self._reject("channel", _form_error(errors))
            reference = body.get("message_reference")
            message = self._message(body, reference=reference, channel_id=int(parts[1]))
            self.sent.append(Sent("reply" if reference else "channel", body, message))
            return _json(message)
        if len(parts) == 4 and parts[2] == "messages":
            message_id = int(parts[3])
            if message_id not in self.messages or self.messages[message_id]["channel_id"] != parts[1]:
                return _json({"message": "Unknown Message", "code": 10008}, status=404)
            if method == "GET":
                self.fetched.append(message_id)
                message = dict(self.messages[message_id])
                ref = message.get("message_reference")
                if ref and int(ref["message_id"]) in self.messages:
                    message["referenced_message"] = self._without_reference(self.messages[int(ref["message_id"])])
                elif ref:
                    message["referenced_message"] = None  # deleted
                return _json(message)
            if method == "DELETE":
                del self.messages[message_id]
                return web.Response(status=204)
            if method == "PATCH":
                errors = validate_message(body)
                if errors:
                    return self._reject("edit", _form_error(errors))
                message = self.messages[message_id] | {k: v for k, v in body.items() if k in ("content", "embeds", "components")}
                self.messages[message_id] = message
                self.sent.append(Sent("edit", body, message))
                return _json(message)
        self.unhandled.append(f"{method} /{'/'.join(parts)}")
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    def _callback(self, interaction_id: int, token: str, body: dict[str, Any], with_response: str | None) -> web.Response:
        record = self.interactions.get(interaction_id)
        if record is None or record.token != token:
            return self._reject("callback", _json({"message": "Unknown interaction", "code": 10062}, status=404))
        if record.initial is not None:
            return self._reject("callback", _json({"message": "Interaction has already been acknowledged.", "code": 40060}, status=400))
        kind = body.get("type")
        data = body.get("data") or {}
        message = None
        if kind in (4, 7):
            errors = validate_message(data | ({"_new": True} if kind == 4 else {}))
            if errors:
                # An invalid response does not acknowledge the interaction.
                return self._reject("callback", _form_error({"data": errors}))
        record.initial = body
        if kind == 4:
            message = self._message(data, webhook=True)
            self.sent.append(Sent("callback", data, message, interaction_id))
        elif kind == 7:
            target = record.payload.get("message") or {}
            message = self.messages.get(int(target.get("id", 0)), target) | {
                k: v for k, v in data.items() if k in ("content", "embeds", "components")}
            self.messages[int(message["id"])] = message
            self.sent.append(Sent("callback", data, message, interaction_id))
        elif kind == 5:
            message = self._message({"flags": (data.get("flags") or 0) | 128}, webhook=True)
        if kind in (4, 5):
            record.original = message
        if not with_response:
            return web.Response(status=204)
        interaction = {"id": str(interaction_id), "type": record.payload["type"],
                       "response_message_loading": kind == 5,
                       "response_message_ephemeral": bool((data.get("flags") or 0) & EPHEMERAL)}
        out: dict[str, Any] = {"interaction": interaction}
        if message is not None:
            interaction["response_message_id"] = message["id"]
            out["resource"] = {"type": kind, "message": message}
        else:
            out["resource"] = {"type": kind}
        return _json(out)

    def _webhook(self, method: str, parts: list[str], body: dict[str, Any], wait: bool) -> web.Response:
        # webhooks/{app}/{token} | webhooks/{app}/{token}/messages/@original | .../messages/{id}
        token = parts[2] if len(parts) > 2 else ""
        record = next((r for r in self.interactions.values() if r.token == token), None)
        if record is None or parts[1] != str(self.application_id):
            return self._reject("webhook", _json({"message": "Unknown Webhook", "code": 10015}, status=404))
        if record.initial is None:
            # Before the initial response the interaction's webhook does not exist yet.
            return self._reject("followup", _json({"message": "Unknown Webhook", "code": 10015}, status=404))
        if len(parts) == 3 and method == "POST":
            errors = validate_message(body | {"_new": True})
            if errors:
                return self._reject("followup", _form_error(errors))
            message = self._message(body, webhook=True)
            sent = Sent("followup", body, message, record.id)
            record.followups.append(sent)
            self.sent.append(sent)
            return _json(message) if wait else web.Response(status=204)
        if len(parts) == 5 and parts[3] == "messages":
            original = record.original
            if parts[4] == "@original":
                target = original
            else:
                target = self.messages.get(int(parts[4]))
            if target is None:
                return _json({"message": "Unknown Message", "code": 10008}, status=404)
            if method == "GET":
                return _json(target)
            if method == "DELETE":
                record.original_deleted = record.original_deleted or target is original
                self.messages.pop(int(target["id"]), None)
                return web.Response(status=204)
            if method == "PATCH":
                errors = validate_message(body)
                if errors:
                    return self._reject("edit-original", _form_error(errors))
                message = target | {k: v for k, v in body.items() if k in ("content", "embeds", "components")}
                self.messages[int(message["id"])] = message
                if target is original:
                    record.original = message
                self.sent.append(Sent("edit-original", body, message, record.id))
                return _json(message)
        self.unhandled.append(f"{method} /{'/'.join(parts)}")
        return _json({"message": "404: Not Found", "code": 0}, status=404)
