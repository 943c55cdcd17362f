"""The server's trust boundaries, as pure ASGI middleware (they see HTTP and WebSocket scopes alike).

Who is the peer (`peers`), who may read the office's data (`access`), what a request body may be
(`bodies`), how many media streams a process carries (`streams`), and how many new calls one
number may place (`call_limit`). Each refuses with a clear status before the app runs.
"""
