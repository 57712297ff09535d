# Accesso con SPID e CIE (OpenID Connect)
login-spid = Entra con SPID
login-cie = Entra con CIE
login-providers-heading = Accedi con la tua identità digitale
oidc-error-title = Accesso non riuscito
oidc-error-expired = Accesso non riuscito: la richiesta di accesso è scaduta o è già stata usata. Ricomincia dalla pagina di accesso.
oidc-error-cancelled = Accesso non riuscito: l'accesso è stato annullato oppure il gestore della tua identità digitale non l'ha autorizzato.
oidc-error-level = Accesso non riuscito: il livello di sicurezza con cui hai effettuato l'accesso non basta per questo servizio. Riprova con un livello più alto (per esempio SPID di livello 2, con il codice temporaneo o l'app).
oidc-error-invalid = Accesso non riuscito: la risposta del gestore della tua identità digitale non è valida. Riprova; se il problema continua, contatta l'assistenza.
oidc-error-no-cf = Accesso non riuscito: il gestore della tua identità digitale non ha comunicato un codice fiscale valido.
oidc-error-unavailable = Accesso non riuscito: il gestore della tua identità digitale non risponde. Riprova tra qualche minuto.
oidc-error-retry = Torna alla pagina di accesso
