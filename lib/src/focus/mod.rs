//! Teamleader Focus API client: OAuth with single-use refresh tokens, the 200-per-minute rate limit, typed
//! requests and responses, and the webhook payload (reference/focus-api.md).
