## Application forms: messages next to the fields when a value is not right.
## The ids are the stable codes of FieldProblem (src/domande/form). The messages about the
## codice fiscale (cf-*) are in codice_fiscale.ftl.

campo-obbligatorio = This answer is required: fill in the field to continue.
campo-non-previsto = This answer is no longer part of the form: check the step and save it again.
valore-non-valido = The value is not right for this field: check it and try again.
passo-non-valido = This step does not exist in the form. Go back to the start of the application.

testo-troppo-corto = The text is too short: write at least { $minimo } characters.
testo-troppo-lungo = The text is too long: you can write at most { $massimo } characters (you wrote { $trovati }).
testo-caratteri = The text contains characters that cannot be used. Write only letters, digits and punctuation.
testo-cf-piva = Write the 16-character codice fiscale or the 11-digit partita IVA (VAT number). You find them on the payslip or the contract.
testo-protocollo = A protocol number is written like this: INPS.office.year.number, for example INPS.RM-001.2026.123. You find it on the application's receipt.

numero-non-valido = Write a whole number, digits only (for example 3).
numero-minimo = The number cannot be smaller than { $minimo }.
numero-massimo = The number cannot be larger than { $massimo }.

importo-non-valido = Write the amount in euro, for example 1,234.56 or 1234.56. At most two digits after the decimal mark.
importo-minimo = The amount cannot be less than { $minimo }.
importo-massimo = The amount cannot be more than { $massimo }.

data-non-valida = Write a real date as day/month/year, for example 15/03/2026.
data-futura = This date cannot be in the future.
data-passata = This date cannot be in the past.
data-troppo-presto = The date cannot be before { $data }.
data-troppo-tardi = The date cannot be after { $data }.

si-no-non-valido = Answer Yes or No.
scelta-non-valida = Choose one of the answers in the list.

iban-paese = An IBAN starts with a country code, for example IT for Italy. "{ $paese }" is not the code of a country that uses IBANs.
iban-lunghezza = An IBAN of this country has { $attesi } characters; you wrote { $trovati }. Copy it from your bank statement or banking app.
iban-caratteri = An IBAN contains only letters and digits: the country code, two check digits, then the account.
iban-controllo = The IBAN contains a typing mistake: check each character again against your bank statement.
iban-non-sepa = Payments can only go to an account in a SEPA country (the European Union and a few others). "{ $paese }" is not one of them.

cap-non-valido = The postcode (CAP) has 5 digits, for example 00184.
provincia-non-valida = Write the province as its 2-letter code, for example RM.

email-non-valida = The email address does not look right: it should look like name@example.com.
telefono-non-valido = The phone number does not look right. Write only the digits, for example 333 123 4567; for a foreign number start with + and the country code.

allegato-non-valido = The attached document was not found: upload it again.
allegato-vuoto = The file is empty: choose the document to upload again.
allegato-troppo-grande = The file is too large: the maximum is { $massimo }. Try scanning the document at a lower resolution.
allegato-tipo = This type of file cannot be uploaded. Only these types are accepted: { $tipi }.
allegato-danneggiato = The file seems damaged or incomplete: try saving it again and uploading it.

gruppo-minimo = At least { $minimo } rows must be filled in.
gruppo-massimo = You can fill in at most { $massimo } rows.
