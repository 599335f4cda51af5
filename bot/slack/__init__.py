"""The Slack front end: a Bolt AsyncApp over the chat core, in Socket Mode or over HTTP."""
