"""The Discord double rejects what Discord rejects; otherwise the end-to-end tests would prove nothing."""

from __future__ import annotations

import aiohttp
from bot_harness import run
from discord_double import DiscordDouble


async def _started() -> DiscordDouble:
    double = DiscordDouble()
    await double.start()
    return double


def test_the_double_enforces_discords_rules() -> None:
    async def scenario() -> None:
        d = await _started()
        auth = {"Authorization": f"Bot {d.token}"}
        messages = f"{d.api_base}/channels/{d.channel_id}/messages"
        try:
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{d.api_base}/users/@me", headers={"Authorization": "Bot wrong"}) as resp:
                    assert resp.status == 401
                async with http.get(f"{d.api_base}/users/@me", headers=auth) as resp:
                    assert resp.headers["Content-Type"] == "application/json"
                async with http.post(messages, json={"content": "x" * 2001}, headers=auth) as resp:
                    assert resp.status == 400
                    assert await resp.json() == {"code": 50035, "message": "Invalid Form Body", "errors": {"content": {
                        "_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]}}}
                embeds = [{"description": "d" * 4000}, {"description": "d" * 2001}]
                async with http.post(messages, json={"embeds": embeds}, headers=auth) as resp:
                    body = await resp.json()
                    assert body["errors"]["embeds"]["_errors"][0]["code"] == "MAX_EMBED_SIZE_EXCEEDED"
                async with http.post(messages, json={"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]},
                                     headers=auth) as resp:
                    body = await resp.json()
                    assert body["errors"]["embeds"]["0"]["fields"]["0"]["value"]["_errors"][0]["message"] == \
                        "Must be 1024 or fewer in length."

                # An interaction, as if a member had run /ask (the command is synced first).
                d.commands[(d.guild_id, "ask")] = {"id": "1", "name": "ask", "options": [{"name": "question", "type": 3}]}
                d._sockets.append((_NullSocket(), [0, 1]))
                interaction = await d.invoke("ask", d.new_user("alice"), question="q")
                token = d.interactions[interaction].token
                callback = f"{d.api_base}/interactions/{interaction}/{token}/callback"
                followup = f"{d.api_base}/webhooks/{d.application_id}/{token}"
                async with http.post(followup, json={"content": "too early"}) as resp:
                    assert resp.status == 404 and (await resp.json())["code"] == 10015
                async with http.post(callback, json={"type": 4, "data": {"content": "x" * 2001}}) as resp:
                    assert resp.status == 400  # invalid, so the interaction is still unanswered...
                async with http.post(callback, json={"type": 5}) as resp:
                    assert resp.status == 204  # ...and this first valid response is accepted
                async with http.post(callback, json={"type": 4, "data": {"content": "again"}}) as resp:
                    assert resp.status == 400 and (await resp.json())["code"] == 40060
                async with http.post(followup, json={"content": "now"}) as resp:
                    assert resp.status == 204
            assert [route for route, _, _ in d.rejected] == [
                "channel", "channel", "channel", "followup", "callback", "callback"]
        finally:
            await d.close()

    run(scenario)


class _NullSocket:
    """Stands in for a connected shard, so the double can dispatch events without a bot."""

    async def send_str(self, data: str) -> None:
        pass

    async def close(self) -> None:
        pass
