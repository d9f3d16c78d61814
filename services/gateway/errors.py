"""The gateway's problem ``code``s (what its refusals carry, and what the pages translate into sentences)."""

BAD_CREDENTIALS = "bad_credentials"
ACCOUNT_INACTIVE = "account_inactive"
LOGIN_RATE_LIMITED = "login_rate_limited"
USERNAME_TAKEN = "username_taken"
SELF_LOCKOUT = "self_lockout"
CSRF_FAILED = "csrf_failed"
