# Login with SPID and CIE (OpenID Connect)
login-spid = Sign in with SPID
login-cie = Sign in with CIE
login-providers-heading = Sign in with your digital identity
oidc-error-title = Login failed
oidc-error-expired = Login failed: the login request has expired or was already used. Start again from the login page.
oidc-error-cancelled = Login failed: the login was cancelled, or your digital identity provider did not authorise it.
oidc-error-level = Login failed: the security level you logged in with is not enough for this service. Try again with a higher level (for example SPID level 2, with a one-time code or the app).
oidc-error-invalid = Login failed: the answer from your digital identity provider is not valid. Try again; if the problem persists, contact the help desk.
oidc-error-no-cf = Login failed: your digital identity provider did not send a valid tax code (codice fiscale).
oidc-error-unavailable = Login failed: your digital identity provider is not answering. Try again in a few minutes.
oidc-error-retry = Back to the login page
