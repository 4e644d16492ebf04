"""The accounts service: sign-up, magic-link login, API keys, Paddle Billing (docs/auth.md).

A small Starlette app served by uvicorn (`beanflows auth serve`). It owns a SQLite database
(WAL, numbered plain-SQL migrations) and publishes a hashed API-key list to the site's R2
bucket, which the Worker reads: no request at the edge ever calls this service.
"""
