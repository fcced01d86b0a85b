"""The Discord front end of newsqa: adapts the engine's answers to slash commands, mentions and embeds."""
