"""Development tools: not part of the bot, not packaged, not imported by it."""
