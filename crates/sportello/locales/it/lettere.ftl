# Back office: print batches of letters
letters-heading = Lettere da stampare
letters-intro = Le lettere da spedire per posta si raccolgono in un lotto aperto. Chiudi il lotto per stamparlo: scarichi un unico PDF con tutte le lettere, da stampare solo fronte.
letters-secrets = Alcune lettere contengono codici personali (come metà del PIN). Stampa in un locale riservato, non lasciare fogli in giro e distruggi le copie sbagliate. Ogni scaricamento viene registrato.
letters-close = Chiudi il lotto aperto e preparalo per la stampa
letters-none-open = Nessuna lettera in attesa: non c'è un lotto aperto.
letters-empty = Non ci sono ancora lotti di stampa.
letters-table-caption = Lotti di stampa, dal più recente
letters-col-created = Creato il
letters-col-count = Lettere
letters-col-state = Stato
letters-col-downloaded = Ultimo scaricamento
letters-col-file = File
letters-state-open = Aperto
letters-state-closed = Chiuso il
letters-never = Mai scaricato
letters-download = Scarica il PDF
