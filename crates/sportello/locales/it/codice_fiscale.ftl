## Codice fiscale: perché un codice non è valido (titoli e dettagli dei problemi dell'API,
## messaggi dei moduli). Gli id sono i codici stabili di CodiceFiscaleError::code().

problem-cf-lunghezza = Il codice fiscale non ha 16 caratteri
problem-cf-carattere = Carattere non ammesso nel codice fiscale
problem-cf-mese = Mese di nascita non valido nel codice fiscale
problem-cf-giorno = Giorno di nascita non valido nel codice fiscale
problem-cf-comune = Luogo di nascita sconosciuto nel codice fiscale
problem-cf-controllo = Il codice fiscale contiene un errore

cf-lunghezza = Il codice fiscale ha 16 caratteri, tra lettere e cifre: { $found ->
    [0] non ne hai scritto nessuno.
    [one] ne hai scritto solo uno.
   *[other] ne hai scritti { $found }.
  }
cf-carattere = Il { $position }° carattere del codice fiscale deve essere { $expected ->
    [lettera] una lettera
   *[cifra] una cifra (oppure, in un codice omocodico, una delle lettere L, M, N, P, Q, R, S, T, U, V)
  }, non «{ $found }».
cf-mese = Il 9° carattere del codice fiscale indica il mese di nascita e può essere solo una di queste lettere: A, B, C, D, E, H, L, M, P, R, S, T. La lettera «{ $letter }» non indica nessun mese.
cf-giorno = Il 10° e l'11° carattere del codice fiscale indicano il giorno di nascita: { $reason ->
    [intervallo] vanno da 01 a 31 per gli uomini e da 41 a 71 per le donne, non possono essere «{ $found }».
    [bisestile] «{ $found }» indica il 29 febbraio, ma l'anno scritto nel 7° e nell'8° carattere non è mai bisestile.
   *[mese] «{ $found }» indica il giorno { $day }, ma { $month ->
        [1] gennaio
        [2] febbraio
        [3] marzo
        [4] aprile
        [5] maggio
        [6] giugno
        [7] luglio
        [8] agosto
        [9] settembre
        [10] ottobre
        [11] novembre
       *[12] dicembre
    } non ha { $day } giorni.
  }
cf-comune = I caratteri dal 12° al 15° del codice fiscale indicano il luogo di nascita, ma «{ $code }» non è il codice di nessun comune italiano, neanche di uno soppresso, né di uno stato estero.
cf-controllo = L'ultimo carattere del codice fiscale serve a controllare gli altri quindici: per questo codice dovrebbe essere «{ $expected }», non «{ $found }». Di solito vuol dire che un carattere è stato scritto male: confrontalo con la tessera sanitaria.
