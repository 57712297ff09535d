## Moduli delle domande: messaggi accanto ai campi quando un valore non va bene.
## Gli id sono i codici stabili di FieldProblem (src/domande/form). I messaggi sul codice
## fiscale (cf-*) sono in codice_fiscale.ftl.

campo-obbligatorio = Questa risposta è obbligatoria: compila il campo per andare avanti.
campo-non-previsto = Questa risposta non fa più parte del modulo: controlla il passo e salvalo di nuovo.
valore-non-valido = Il valore scritto non va bene per questo campo: controllalo e riprova.
passo-non-valido = Questo passo non esiste nel modulo. Torna all'inizio della domanda.

testo-troppo-corto = Il testo è troppo corto: scrivi almeno { $minimo } caratteri.
testo-troppo-lungo = Il testo è troppo lungo: puoi scrivere al massimo { $massimo } caratteri (ne hai scritti { $trovati }).
testo-caratteri = Il testo contiene caratteri che non si possono usare. Scrivi solo lettere, cifre e punteggiatura.
testo-cf-piva = Scrivi il codice fiscale di 16 caratteri oppure la partita IVA di 11 cifre. Li trovi sulla busta paga o sul contratto.
testo-protocollo = Il numero di protocollo si scrive così: INPS.sede.anno.numero, per esempio INPS.RM-001.2026.123. Lo trovi sulla ricevuta della domanda.

numero-non-valido = Scrivi un numero intero, solo con le cifre (per esempio 3).
numero-minimo = Il numero non può essere più piccolo di { $minimo }.
numero-massimo = Il numero non può essere più grande di { $massimo }.

importo-non-valido = Scrivi l'importo in euro, per esempio 1.234,56 oppure 1234,56. Al massimo due cifre dopo la virgola.
importo-minimo = L'importo non può essere inferiore a { $minimo }.
importo-massimo = L'importo non può essere superiore a { $massimo }.

data-non-valida = Scrivi una data vera nella forma giorno/mese/anno, per esempio 15/03/2026.
data-futura = Questa data non può essere nel futuro.
data-passata = Questa data non può essere già passata.
data-troppo-presto = La data non può essere prima del { $data }.
data-troppo-tardi = La data non può essere dopo il { $data }.

si-no-non-valido = Rispondi Sì oppure No.
scelta-non-valida = Scegli una delle risposte dell'elenco.

iban-paese = L'IBAN deve iniziare con la sigla di un paese, per esempio IT per l'Italia. «{ $paese }» non è la sigla di un paese che usa l'IBAN.
iban-lunghezza = L'IBAN di questo paese ha { $attesi } caratteri, tu ne hai scritti { $trovati }. Copialo dall'estratto conto o dall'app della banca.
iban-caratteri = L'IBAN contiene solo lettere e cifre: la sigla del paese, due cifre di controllo e poi il conto.
iban-controllo = L'IBAN contiene un errore di battitura: controlla di nuovo ogni carattere sull'estratto conto.
iban-non-sepa = Il pagamento si può fare solo su un conto di un paese dell'area SEPA (Unione europea e pochi altri paesi). «{ $paese }» non ne fa parte.

cap-non-valido = Il CAP è fatto di 5 cifre, per esempio 00184.
provincia-non-valida = Scrivi la sigla della provincia con 2 lettere, per esempio RM.

email-non-valida = L'indirizzo email non sembra giusto: deve essere come nome@esempio.it.
telefono-non-valido = Il numero di telefono non sembra giusto. Scrivi solo le cifre, per esempio 333 123 4567; per un numero estero inizia con + e il prefisso del paese.

allegato-non-valido = Il documento allegato non è stato trovato: caricalo di nuovo.
allegato-vuoto = Il file è vuoto: scegli di nuovo il documento da caricare.
allegato-troppo-grande = Il file è troppo grande: il massimo è { $massimo }. Prova a scansionare il documento con una risoluzione più bassa.
allegato-tipo = Questo tipo di file non si può caricare. Sono ammessi solo questi tipi: { $tipi }.
allegato-danneggiato = Il file sembra danneggiato o incompleto: prova a salvarlo di nuovo e a ricaricarlo.

gruppo-minimo = Servono almeno { $minimo } righe compilate.
gruppo-massimo = Puoi compilare al massimo { $massimo } righe.
