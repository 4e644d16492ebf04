"""Publish dist/ to Cloudflare R2 (S3 API) as atomic, incremental releases.

Modules: `content` (headers), `plan` (pure decisions), `r2` (the bucket), `upload`
(parallel transfer), `release` (publish/rollback/prune), `raw` (raw archive backup),
`command` (the CLI). Bucket layout: `<prefix>objects/<sha256>`,
`<prefix>releases/<id>.json`, `<prefix>live.json` (see docs/publish.md).
"""

from beanflows.publish.command import main

__all__ = ["main"]
