"""The office console at `/console`: server-rendered pages, a live transcript feed and the browser
softphone. Same access rule as `/api`; a browser proves the token once and keeps a signed cookie."""
