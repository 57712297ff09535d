## Codice fiscale: why a code is not valid (API problem titles and details, form messages).
## The ids are the stable codes of CodiceFiscaleError::code().

problem-cf-lunghezza = The codice fiscale does not have 16 characters
problem-cf-carattere = Character not allowed in the codice fiscale
problem-cf-mese = Invalid month of birth in the codice fiscale
problem-cf-giorno = Invalid day of birth in the codice fiscale
problem-cf-comune = Unknown place of birth in the codice fiscale
problem-cf-controllo = The codice fiscale contains a mistake

cf-lunghezza = A codice fiscale has 16 characters, letters and digits: { $found ->
    [0] none were given.
    [one] only one was given.
   *[other] { $found } were given.
  }
cf-carattere = Character { $position } of the codice fiscale must be { $expected ->
    [lettera] a letter
   *[cifra] a digit (or, in an omocode, one of the letters L, M, N, P, Q, R, S, T, U, V)
  }, not “{ $found }”.
cf-mese = Character 9 of the codice fiscale is the month of birth and can only be one of these letters: A, B, C, D, E, H, L, M, P, R, S, T. The letter “{ $letter }” is not a month.
cf-giorno = Characters 10 and 11 of the codice fiscale are the day of birth: { $reason ->
    [intervallo] they go from 01 to 31 for men and from 41 to 71 for women, so they cannot be “{ $found }”.
    [bisestile] “{ $found }” means 29 February, but the year in characters 7 and 8 is never a leap year.
   *[mese] “{ $found }” means day { $day }, but { $month ->
        [1] January
        [2] February
        [3] March
        [4] April
        [5] May
        [6] June
        [7] July
        [8] August
        [9] September
        [10] October
        [11] November
       *[12] December
    } does not have { $day } days.
  }
cf-comune = Characters 12 to 15 of the codice fiscale are the place of birth, but “{ $code }” is not the code of any Italian comune, not even a former one, nor of a foreign state.
cf-controllo = The last character of the codice fiscale is a check on the other fifteen: for this code it should be “{ $expected }”, not “{ $found }”. This usually means a character was mistyped: compare it with the health insurance card (tessera sanitaria).
