//! Tests across the module: whole forms, conditions, load errors, the data files.

use jiff::civil::date;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::*;

const SAMPLE: &str = r#"
codice = "prova"
versione = 1
titolo = "Prova"
descrizione = "Un modulo per i test."
ente = "inps"
scheda = "naspi"
apertura = 2026-01-15T09:00:00+01:00

[[passi]]
id = "primo"
titolo = "Primo passo"

[[passi.campi]]
id = "nome"
tipo = "testo"
etichetta = "Nome"
obbligatorio = true
max = 10

[[passi.campi]]
id = "ha_figli"
tipo = "si_no"
etichetta = "Hai figli?"
obbligatorio = true

[[passi.campi]]
id = "quanti"
tipo = "numero"
etichetta = "Quanti figli"
min = 1
max = 20
mostra_se = { campo = "ha_figli", uguale = "si" }
obbligatorio = true

[[passi.campi]]
id = "reddito"
tipo = "importo"
etichetta = "Reddito"
max = 100000

[[passi.campi]]
id = "lavoro"
tipo = "scelta"
etichetta = "Lavoro"
opzioni = [
  { valore = "dipendente", etichetta = "Lavoro dipendente" },
  { valore = "autonomo", etichetta = "Lavoro autonomo" },
  { valore = "nessuno", etichetta = "Nessun lavoro" },
]
obbligatorio_se = { campo = "reddito", compilato = true }

[[passi]]
id = "secondo"
titolo = "Secondo passo"

[[passi.campi]]
id = "nascita"
tipo = "data"
etichetta = "Data di nascita"
non_futura = true
dopo = 1900-01-01

[[passi.campi]]
id = "periodo"
tipo = "data"
etichetta = "Periodo preferito"
non_passata = true
prima = 2030-12-31

[[passi.campi]]
id = "cf"
tipo = "codice_fiscale"
etichetta = "Codice fiscale"

[[passi.campi]]
id = "iban"
tipo = "iban"
etichetta = "IBAN"
solo_sepa = true
precompila = "iban"

[[passi.campi]]
id = "residenza"
tipo = "indirizzo"
etichetta = "Residenza"
precompila = "indirizzo"

[[passi.campi]]
id = "email"
tipo = "email"
etichetta = "Email"

[[passi.campi]]
id = "telefono"
tipo = "telefono"
etichetta = "Telefono"

[[passi.campi]]
id = "interessi"
tipo = "scelta"
multipla = true
etichetta = "Interessi"
opzioni = [
  { valore = "a", etichetta = "A" },
  { valore = "b", etichetta = "B" },
]

[[passi.campi]]
id = "lettera"
tipo = "allegato"
etichetta = "Lettera"
tipi = ["pdf"]
max_mb = 2
mostra_se = { campo = "lavoro", in = ["dipendente", "autonomo"] }

[[passi.campi]]
id = "figli"
tipo = "gruppo"
etichetta = "Figli"
min = 1
max = 3
mostra_se = { campo = "ha_figli", uguale = true }

[[passi.campi.campi]]
id = "nome"
tipo = "testo"
etichetta = "Nome del figlio"
obbligatorio = true

[[passi.campi.campi]]
id = "disabile"
tipo = "si_no"
etichetta = "Disabilità"

[[passi.campi.campi]]
id = "percentuale"
tipo = "numero"
etichetta = "Percentuale"
min = 0
max = 100
mostra_se = { campo = "figli.disabile", uguale = "si" }
obbligatorio = true
"#;

fn sample() -> FormDefinition {
    match parse("prova.toml", SAMPLE) {
        Ok(form) => form,
        Err(error) => panic!("{error}"),
    }
}

fn today() -> jiff::civil::Date {
    date(2026, 3, 15)
}

fn input(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn codes(result: Result<Answers, Vec<FieldProblem>>) -> Vec<(String, &'static str)> {
    match result {
        Ok(_) => Vec::new(),
        Err(problems) => problems.into_iter().map(|p| (p.field, p.code)).collect(),
    }
}

fn one(form: &FormDefinition, step: usize, field: &str, value: Value) -> Vec<&'static str> {
    let mut raw = Map::new();
    raw.insert(field.to_owned(), value);
    match validate_step(form, step, &raw, &Answers::default(), today()) {
        Ok(_) => Vec::new(),
        Err(problems) => problems
            .into_iter()
            .filter(|p| p.field.starts_with(field))
            .map(|p| p.code)
            .collect(),
    }
}

#[test]
fn the_sample_loads_with_its_parts() {
    let form = sample();
    assert_eq!(form.code, "prova");
    assert_eq!(form.authority, Authority::Inps);
    assert_eq!(form.card_slug.as_deref(), Some("naspi"));
    assert_eq!(
        form.opens_at.map(|t| t.to_string()).as_deref(),
        Some("2026-01-15T08:00:00Z")
    );
    assert_eq!(form.steps.len(), 2);
    let Some((step, quanti)) = form.field("quanti") else {
        panic!("no quanti")
    };
    assert_eq!(step, 0);
    assert_eq!(
        quanti.show_if,
        Some(Condition {
            field: "ha_figli".into(),
            test: Test::Equals(ConditionValue::Bool(true))
        })
    );
    assert!(form.field("figli.percentuale").is_some());
    assert!(form.field("nome.x").is_none());
    let Some((_, iban)) = form.field("iban") else {
        panic!("no iban")
    };
    assert_eq!(iban.prefill, Some(Prefill::Iban));
    let Some((_, lettera)) = form.field("lettera") else {
        panic!("no lettera")
    };
    assert_eq!(
        lettera.kind,
        FieldKind::Attachment(AttachmentRule {
            types: vec![FileType::Pdf],
            max_bytes: 2 * 1024 * 1024
        })
    );
    assert!(!form.is_open("2026-01-15T07:59:59Z".parse().unwrap_or_default()));
    assert!(form.is_open("2026-01-15T08:00:00Z".parse().unwrap_or_default()));
}

#[test]
fn a_good_first_step_gives_canonical_values() {
    let form = sample();
    let raw = input(json!({
        "nome": "  Maria ", "ha_figli": "si", "quanti": "2", "reddito": "1.234,56", "lavoro": "autonomo",
    }));
    let result = validate_step(&form, 0, &raw, &Answers::default(), today());
    assert_eq!(
        result.map(|a| Value::Object(a.0)),
        Ok(json!({"nome": "Maria", "ha_figli": true, "quanti": 2, "reddito": 123456, "lavoro": "autonomo"}))
    );
}

#[test]
fn hidden_answers_are_dropped_and_their_mistakes_ignored() {
    let form = sample();
    let raw = input(json!({"nome": "Maria", "ha_figli": "no", "quanti": "not a number"}));
    let result = validate_step(&form, 0, &raw, &Answers::default(), today());
    assert_eq!(
        result.map(|a| Value::Object(a.0)),
        Ok(json!({"nome": "Maria", "ha_figli": false}))
    );
}

#[test]
fn every_problem_of_a_step_at_once() {
    let form = sample();
    let raw =
        input(json!({"nome": "Un nome troppo lungo", "ha_figli": "si", "reddito": "1000000", "lavoro": ""}));
    let found = codes(validate_step(&form, 0, &raw, &Answers::default(), today()));
    assert_eq!(
        found,
        vec![
            ("nome".into(), "testo-troppo-lungo"),
            ("quanti".into(), "campo-obbligatorio"),
            ("reddito".into(), "importo-massimo"),
        ]
    );
    // `lavoro` is required only when an income was given and it parsed.
    let raw = input(json!({"nome": "Maria", "ha_figli": "no", "reddito": "10"}));
    assert_eq!(
        codes(validate_step(&form, 0, &raw, &Answers::default(), today())),
        vec![("lavoro".into(), "campo-obbligatorio")]
    );
    assert_eq!(
        codes(validate_step(&form, 7, &Map::new(), &Answers::default(), today())),
        vec![(String::new(), "passo-non-valido")]
    );
}

#[test]
fn conditions_look_at_earlier_steps() {
    let form = sample();
    let mut others = Answers::default();
    others.0.insert("lavoro".into(), json!("dipendente"));
    others.0.insert("ha_figli".into(), json!(true));
    let raw = input(json!({"lettera": "abc-123", "figli": [{"nome": "Anna"}]}));
    let valid = validate_step(&form, 1, &raw, &others, today());
    assert_eq!(
        valid.map(|a| Value::Object(a.0)),
        Ok(json!({"lettera": "abc-123", "figli": [{"nome": "Anna"}]}))
    );
    // Without a job the letter is not asked for, and without children the group is hidden.
    let valid = validate_step(&form, 1, &raw, &Answers::default(), today());
    assert_eq!(valid.map(|a| Value::Object(a.0)), Ok(json!({})));
    let Some((_, lettera)) = form.field("lettera") else {
        panic!("no lettera")
    };
    assert!(is_visible(&form, lettera, &others));
    assert!(!is_visible(&form, lettera, &Answers::default()));
}

#[test]
fn groups_check_rows_and_their_own_conditions() {
    let form = sample();
    let mut others = Answers::default();
    others.0.insert("ha_figli".into(), json!(true));
    let raw = input(json!({"figli": [
        {"nome": "Anna", "disabile": "si", "percentuale": "75"},
        {},
        {"nome": "", "disabile": "si"},
        {"nome": "Luca", "disabile": "no", "percentuale": "abc"},
        {"nome": "Sara"},
    ]}));
    assert_eq!(
        codes(validate_step(&form, 1, &raw, &others, today())),
        vec![
            ("figli".into(), "gruppo-massimo"),
            ("figli.2.nome".into(), "campo-obbligatorio"),
            ("figli.2.percentuale".into(), "campo-obbligatorio"),
        ]
    );
    let raw = input(json!({"figli": [
        {"nome": "Anna", "disabile": "si", "percentuale": "75"},
        {"nome": "", "disabile": ""},
        {"nome": "Luca", "disabile": "no", "percentuale": "abc"},
    ]}));
    assert_eq!(
        validate_step(&form, 1, &raw, &others, today()).map(|a| Value::Object(a.0)),
        Ok(json!({"figli": [
            {"nome": "Anna", "disabile": true, "percentuale": 75},
            {"nome": "Luca", "disabile": false},
        ]}))
    );
    let Some((_, figli)) = form.field("figli") else {
        panic!("no figli")
    };
    let Some((_, percentuale)) = form.field("figli.percentuale") else {
        panic!("no percentuale")
    };
    let row = input(json!({"disabile": true}));
    assert!(is_visible_in_row(&form, figli, percentuale, &others, &row));
    assert!(!is_visible_in_row(
        &form,
        figli,
        percentuale,
        &others,
        &Map::new()
    ));
    assert_eq!(
        display_value(
            figli,
            &json!([{"nome": "Anna", "disabile": true, "percentuale": 75}])
        ),
        "1) Nome del figlio: Anna, Disabilità: Sì, Percentuale: 75"
    );
    assert_eq!(
        one(&form, 1, "figli", json!("x")),
        Vec::<&str>::new(),
        "hidden without ha_figli"
    );
}

#[test]
fn html_pairs_become_the_step_input() {
    let form = sample();
    let pairs: Vec<(String, String)> = [
        ("csrf", "token"),
        ("interessi", "a"),
        ("interessi", "b"),
        ("residenza.via", "Via Roma 1"),
        ("residenza.cap", "00184"),
        ("figli.1.nome", "Luca"),
        ("figli.0.nome", "Anna"),
        ("figli.0.disabile", "no"),
        ("figli.99999999999.nome", "x"),
        ("email", "a@b.it"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    let step = &form.steps[1];
    assert_eq!(
        Value::Object(step_input_from_pairs(step, &pairs)),
        json!({
            "interessi": ["a", "b"],
            "residenza": {"via": "Via Roma 1", "cap": "00184"},
            "figli": [{"nome": "Anna", "disabile": "no"}, {"nome": "Luca"}],
            "email": "a@b.it",
        })
    );
}

#[test]
fn each_field_type_refuses_wrong_values() {
    let form = sample();
    let cases: &[(usize, &str, Value, &str)] = &[
        (0, "nome", json!("a\u{0007}b"), "testo-caratteri"),
        (0, "nome", json!("abcdefghijk"), "testo-troppo-lungo"),
        (0, "nome", json!(12), "valore-non-valido"),
        (0, "reddito", json!("12,345"), "importo-non-valido"),
        (0, "reddito", json!(-5), "importo-non-valido"),
        (0, "reddito", json!(1.5), "importo-non-valido"),
        (0, "lavoro", json!("pensionato"), "scelta-non-valida"),
        (0, "ha_figli", json!("forse"), "si-no-non-valido"),
        (1, "nascita", json!("31/02/2020"), "data-non-valida"),
        (1, "nascita", json!("2020/02/01"), "data-non-valida"),
        (1, "nascita", json!("01/01/1800"), "data-non-valida"),
        (1, "nascita", json!("16/03/2026"), "data-futura"),
        (1, "periodo", json!("14/03/2026"), "data-passata"),
        (1, "periodo", json!("2031-01-01"), "data-troppo-tardi"),
        (1, "cf", json!("RSSMRA80A01H50"), "cf-lunghezza"),
        (1, "cf", json!("RSSMRA80A01H501A"), "cf-controllo"),
        (
            1,
            "iban",
            json!("IT60 X054 2811 1010 0000 0123 457"),
            "iban-controllo",
        ),
        (1, "iban", json!("IT60 X054"), "iban-lunghezza"),
        (
            1,
            "iban",
            json!("XX60 X054 2811 1010 0000 0123 457"),
            "iban-paese",
        ),
        (1, "iban", json!("IT60_X054"), "iban-caratteri"),
        (
            1,
            "iban",
            json!("TR33 0006 1005 1978 6457 8413 26"),
            "iban-non-sepa",
        ),
        (
            1,
            "residenza",
            json!({"via": "Via Roma 1", "cap": "1234", "comune": "Roma", "provincia": "RM"}),
            "cap-non-valido",
        ),
        (
            1,
            "residenza",
            json!({"via": "Via Roma 1", "cap": "00184", "comune": "Roma", "provincia": "Roma"}),
            "provincia-non-valida",
        ),
        (
            1,
            "residenza",
            json!({"via": "Via Roma 1", "cap": "00184", "provincia": "RM"}),
            "campo-obbligatorio",
        ),
        (1, "residenza", json!("Via Roma 1"), "valore-non-valido"),
        (1, "email", json!("mario.rossi@"), "email-non-valida"),
        (1, "email", json!("mario rossi@example.it"), "email-non-valida"),
        (1, "email", json!("mario@example"), "email-non-valida"),
        (1, "telefono", json!("12345"), "telefono-non-valido"),
        (1, "telefono", json!("333-ABC"), "telefono-non-valido"),
        (1, "interessi", json!(["a", "z"]), "scelta-non-valida"),
    ];
    for (step, field, value, code) in cases {
        assert_eq!(
            one(&form, *step, field, value.clone()),
            vec![*code],
            "{field} = {value}"
        );
    }
    let numbers = parse(
        "n.toml",
        &SAMPLE.replace(
            "mostra_se = { campo = \"ha_figli\", uguale = \"si\" }\nobbligatorio = true",
            "",
        ),
    );
    let Ok(numbers) = numbers else {
        panic!("{numbers:?}")
    };
    assert_eq!(one(&numbers, 0, "quanti", json!("0")), vec!["numero-minimo"]);
    assert_eq!(one(&numbers, 0, "quanti", json!(21)), vec!["numero-massimo"]);
    assert_eq!(
        one(&numbers, 0, "quanti", json!("2,5")),
        vec!["numero-non-valido"]
    );
}

#[test]
fn canonical_forms_and_their_display() {
    let form = sample();
    let mut others = Answers::default();
    others.0.insert("lavoro".into(), json!("dipendente"));
    let raw = input(json!({
        "nascita": "1/2/1980",
        "periodo": "2026-06-01",
        "cf": "rssmra80a01h501u",
        "iban": "it60 x054 2811 1010 0000 0123 456",
        "residenza": {"via": " Via Roma 1 ", "cap": "00184", "comune": "Roma", "provincia": "rm"},
        "email": "Mario.Rossi@Example.IT",
        "telefono": "333 123 4567",
        "interessi": ["b", "a", "b"],
        "lettera": "att_1",
    }));
    let valid = validate_step(&form, 1, &raw, &others, today());
    let Ok(valid) = valid else { panic!("{valid:?}") };
    assert_eq!(
        Value::Object(valid.0.clone()),
        json!({
            "nascita": "1980-02-01",
            "periodo": "2026-06-01",
            "cf": "RSSMRA80A01H501U",
            "iban": "IT60X0542811101000000123456",
            "residenza": {"via": "Via Roma 1", "cap": "00184", "comune": "Roma", "provincia": "RM"},
            "email": "Mario.Rossi@example.it",
            "telefono": "+393331234567",
            "interessi": ["a", "b"],
            "lettera": "att_1",
        })
    );
    let shown = |id: &str| {
        let Some((_, field)) = form.field(id) else {
            panic!("{id}")
        };
        display_value(field, valid.get(id).unwrap_or(&Value::Null))
    };
    assert_eq!(shown("nascita"), "01/02/1980");
    assert_eq!(shown("iban"), "IT60 X054 2811 1010 0000 0123 456");
    assert_eq!(shown("residenza"), "Via Roma 1, 00184 Roma (RM)");
    assert_eq!(shown("interessi"), "A, B");
    assert_eq!(shown("telefono"), "+39 3331234567");
    let Some((_, reddito)) = form.field("reddito") else {
        panic!()
    };
    assert_eq!(display_value(reddito, &json!(123456)), "1.234,56 €");
    let Some((_, lavoro)) = form.field("lavoro") else {
        panic!()
    };
    assert_eq!(display_value(lavoro, &json!("autonomo")), "Lavoro autonomo");
    let Some((_, ha_figli)) = form.field("ha_figli") else {
        panic!()
    };
    assert_eq!(display_value(ha_figli, &json!(false)), "No");
    // Canonical values are accepted again as they are (what validate_all relies on).
    let again = validate_step(&form, 1, &valid.0, &others, today());
    assert_eq!(again.as_ref(), Ok(&valid));
}

#[test]
fn phones_in_many_shapes() {
    for (typed, stored) in [
        ("333 123 4567", "+393331234567"),
        ("+39 333 1234567", "+393331234567"),
        ("0039 06 1234 5678", "+390612345678"),
        ("06/12345678", "+390612345678"),
        ("+49 30 1234567", "+49301234567"),
        ("0044 20 7946 0958", "+442079460958"),
    ] {
        assert_eq!(fields::parse_phone(typed).as_deref(), Some(stored), "{typed}");
    }
    for typed in [
        "",
        "12345",
        "+0 123 456 789",
        "+39 12345",
        "555-1234",
        "+1234567890123456",
        "333 12 34 ext 5",
    ] {
        assert_eq!(fields::parse_phone(typed), None, "{typed}");
    }
    assert!(fields::is_partita_iva("12345678903"));
    assert!(!fields::is_partita_iva("12345678901"));
}

#[test]
fn text_formats_for_employers_and_protocols() {
    let form = parse(
        "f.toml",
        r#"
codice = "f"
versione = 1
titolo = "F"
descrizione = "F"
ente = "comune"
[[passi]]
id = "p"
titolo = "P"
[[passi.campi]]
id = "datore"
tipo = "testo"
etichetta = "CF o P.IVA"
formato = "codice_fiscale_o_partita_iva"
[[passi.campi]]
id = "protocollo"
tipo = "testo"
etichetta = "Protocollo"
formato = "protocollo"
"#,
    );
    let Ok(form) = form else { panic!("{form:?}") };
    let raw = input(json!({"datore": "123 456 789 03", "protocollo": " inps.rm-001.2026.123 "}));
    assert_eq!(
        validate_step(&form, 0, &raw, &Answers::default(), today()).map(|a| Value::Object(a.0)),
        Ok(json!({"datore": "12345678903", "protocollo": "INPS.RM-001.2026.123"}))
    );
    assert_eq!(
        one(&form, 0, "datore", json!("12345678901")),
        vec!["testo-cf-piva"]
    );
    assert_eq!(
        one(&form, 0, "datore", json!("RSSMRA80A01H501U")),
        Vec::<&str>::new()
    );
    assert_eq!(
        one(&form, 0, "protocollo", json!("INPS-2026-123")),
        vec!["testo-protocollo"]
    );
    assert_eq!(
        one(&form, 0, "protocollo", json!("INPS.RM-001.26.1")),
        vec!["testo-protocollo"]
    );
}

#[test]
fn validate_all_catches_missing_hidden_and_unknown_answers() {
    let form = sample();
    let mut answers = Answers::default();
    answers.0.insert("nome".into(), json!("Maria"));
    answers.0.insert("ha_figli".into(), json!(false));
    assert_eq!(validate_all(&form, &answers, today()), Ok(()));
    // An answer for a hidden field, one for a field the form does not have.
    answers.0.insert("quanti".into(), json!(2));
    answers.0.insert("vecchio".into(), json!("x"));
    let Err((step, problems)) = validate_all(&form, &answers, today()) else {
        panic!("accepted")
    };
    assert_eq!(step, 0);
    let found: Vec<(&str, &str)> = problems.iter().map(|p| (p.field.as_str(), p.code)).collect();
    assert_eq!(
        found,
        vec![
            ("vecchio", "campo-non-previsto"),
            ("quanti", "campo-non-previsto")
        ]
    );
    // A required answer missing in the first step; a date that became future in the second.
    let mut answers = Answers::default();
    answers.0.insert("ha_figli".into(), json!(false));
    answers.0.insert("nascita".into(), json!("2026-03-20"));
    let Err((step, problems)) = validate_all(&form, &answers, today()) else {
        panic!("accepted")
    };
    assert_eq!(step, 0);
    let found: Vec<(&str, &str)> = problems.iter().map(|p| (p.field.as_str(), p.code)).collect();
    assert_eq!(
        found,
        vec![("nome", "campo-obbligatorio"), ("nascita", "data-futura")]
    );
    let mut answers = Answers::default();
    answers.0.insert("nome".into(), json!("Maria"));
    answers.0.insert("ha_figli".into(), json!(false));
    answers.0.insert("email".into(), json!("not canonical"));
    assert_eq!(validate_all(&form, &answers, today()).map_err(|(s, _)| s), Err(1));
}

fn load_error(source: &str) -> (usize, usize, String) {
    match parse("naspi.toml", source) {
        Ok(_) => panic!("accepted: {source}"),
        Err(error) => {
            let shown = error.to_string();
            assert!(
                shown.starts_with(&format!("naspi.toml:{}:{}: ", error.line, error.column)),
                "{shown}"
            );
            (error.line, error.column, error.message)
        }
    }
}

const HEAD: &str = "codice = \"x\"\nversione = 1\ntitolo = \"X\"\ndescrizione = \"X\"\nente = \"inps\"\n";

fn with_steps(body: &str) -> String {
    format!("{HEAD}{body}")
}

#[test]
fn load_errors_name_the_line_and_say_what_is_wrong() {
    // Line 6 onwards is the body.
    let step = "[[passi]]\nid = \"a\"\ntitolo = \"A\"\n";
    let (line, column, message) = load_error(&with_steps(&format!(
        "{step}[[passi.campi]]\nid = \"x\"\ntipo = \"testo\"\netichetta = \"X\"\nobligatorio = true\n"
    )));
    assert_eq!((line, column), (13, 1), "{message}");
    assert!(
        message.contains("chiave sconosciuta \"obligatorio\""),
        "{message}"
    );

    let (line, _, message) = load_error(&with_steps(&format!(
        "{step}[[passi.campi]]\nid = \"x\"\ntipo = \"text\"\netichetta = \"X\"\n"
    )));
    assert_eq!(line, 11);
    assert!(message.contains("tipo \"text\" sconosciuto"), "{message}");

    let (line, _, message) = load_error(&with_steps(&format!(
        "{step}[[passi.campi]]\nid = \"x\"\ntipo = \"si_no\"\netichetta = \"X\"\n[[passi.campi]]\nid = \"x\"\ntipo = \"si_no\"\netichetta = \"Y\"\n"
    )));
    assert_eq!(line, 14);
    assert!(message.contains("c'è già un campo \"x\""), "{message}");

    let (line, column, message) = load_error(&with_steps(&format!(
        "{step}[[passi.campi]]\nid = \"x\"\ntipo = \"si_no\"\netichetta = \"X\"\nmostra_se = {{ campo = \"y\", uguale = \"si\" }}\n"
    )));
    assert_eq!((line, column), (13, 23));
    assert_eq!(message, "il campo \"y\" non esiste");

    let (line, _, message) = load_error(&with_steps(&format!(
        "{step}[[passi]]\nid = \"b\"\ntitolo = \"B\"\n"
    )));
    assert_eq!(line, 6);
    assert!(message.contains("non ha campi"), "{message}");

    let (_, _, message) = load_error(&with_steps(&format!(
        "{step}[[passi.campi]]\nid = \"x\"\ntipo = \"numero\"\netichetta = \"X\"\nmin = 5\nmax = 1\n"
    )));
    assert!(message.contains("più grande"), "{message}");

    let (_, _, message) = load_error(&with_steps(&format!(
        "{step}[[passi.campi]]\nid = \"x\"\ntipo = \"testo\"\netichetta = \"X\"\nprecompila = \"iban\"\n"
    )));
    assert!(message.contains("non si adatta"), "{message}");

    let (_, _, message) = load_error(&with_steps(&format!(
        "{step}[[passi.campi]]\nid = \"x\"\ntipo = \"testo\"\netichetta = \"X\"\nprecompila = \"pin\"\n"
    )));
    assert!(message.contains("\"pin\" sconosciuto"), "{message}");

    let (_, _, message) = load_error(&with_steps(&format!(
        "{step}[[passi.campi]]\nid = \"x\"\ntipo = \"testo\"\netichetta = \"X\"\nopzioni = []\n"
    )));
    assert!(
        message.contains("non vale per un campo di tipo \"testo\""),
        "{message}"
    );

    let (line, _, message) = load_error("codice = \"x\"\nversione = \"uno\"\n");
    assert_eq!(line, 2);
    assert!(message.contains("tipo sbagliato"), "{message}");

    let (_, _, message) = load_error(&HEAD.replace("inps", "regione"));
    assert!(message.contains("ente \"regione\""), "{message}");
}

#[test]
fn conditions_on_impossible_values_are_refused() {
    let step = "[[passi]]\nid = \"a\"\ntitolo = \"A\"\n";
    let choice = "[[passi.campi]]\nid = \"c\"\ntipo = \"scelta\"\netichetta = \"C\"\nopzioni = [{ valore = \"a\", etichetta = \"A\" }, { valore = \"b\", etichetta = \"B\" }]\n";
    let (line, _, message) = load_error(&with_steps(&format!(
        "{step}{choice}[[passi.campi]]\nid = \"x\"\ntipo = \"testo\"\netichetta = \"X\"\nmostra_se = {{ campo = \"c\", uguale = \"z\" }}\n"
    )));
    assert_eq!(line, 18);
    assert!(message.contains("non può mai valere \"z\""), "{message}");
    let (_, _, message) = load_error(&with_steps(&format!(
        "{step}{choice}[[passi.campi]]\nid = \"x\"\ntipo = \"testo\"\netichetta = \"X\"\nmostra_se = {{ campo = \"c\", uguale = \"a\", compilato = true }}\n"
    )));
    assert!(message.contains("una sola"), "{message}");
    let (_, _, message) = load_error(&with_steps(&format!(
        "{step}[[passi.campi]]\nid = \"t\"\ntipo = \"testo\"\netichetta = \"T\"\n[[passi.campi]]\nid = \"x\"\ntipo = \"testo\"\netichetta = \"X\"\nmostra_se = {{ campo = \"t\", uguale = \"a\" }}\n"
    )));
    assert!(message.contains("compilato = true"), "{message}");
}

#[test]
fn forward_references_and_cycles_are_refused_at_their_line() {
    let forward = with_steps(
        "[[passi]]\nid = \"a\"\ntitolo = \"A\"\n[[passi.campi]]\nid = \"x\"\ntipo = \"si_no\"\netichetta = \"X\"\nmostra_se = { campo = \"y\", uguale = true }\n[[passi]]\nid = \"b\"\ntitolo = \"B\"\n[[passi.campi]]\nid = \"y\"\ntipo = \"si_no\"\netichetta = \"Y\"\n",
    );
    let (line, _, message) = load_error(&forward);
    assert_eq!(line, 13);
    assert!(message.contains("passo successivo (\"b\")"), "{message}");

    // x shown if y, y shown if z, z required if x: a circle of three in one step.
    let cycle = with_steps(
        "[[passi]]\nid = \"a\"\ntitolo = \"A\"\n\
         [[passi.campi]]\nid = \"x\"\ntipo = \"si_no\"\netichetta = \"X\"\nmostra_se = { campo = \"y\", uguale = true }\n\
         [[passi.campi]]\nid = \"y\"\ntipo = \"si_no\"\netichetta = \"Y\"\nmostra_se = { campo = \"z\", uguale = \"si\" }\n\
         [[passi.campi]]\nid = \"z\"\ntipo = \"si_no\"\netichetta = \"Z\"\nobbligatorio_se = { campo = \"x\", compilato = true }\n",
    );
    let (line, _, message) = load_error(&cycle);
    assert_eq!(line, 23, "{message}");
    assert!(message.contains("x → y → z → x"), "{message}");

    let two = with_steps(
        "[[passi]]\nid = \"a\"\ntitolo = \"A\"\n\
         [[passi.campi]]\nid = \"x\"\ntipo = \"si_no\"\netichetta = \"X\"\nmostra_se = { campo = \"y\", uguale = true }\n\
         [[passi.campi]]\nid = \"y\"\ntipo = \"si_no\"\netichetta = \"Y\"\nmostra_se = { campo = \"x\", uguale = true }\n",
    );
    let (line, _, message) = load_error(&two);
    assert_eq!(line, 18);
    assert!(message.contains("x → y → x"), "{message}");

    let own = with_steps(
        "[[passi]]\nid = \"a\"\ntitolo = \"A\"\n[[passi.campi]]\nid = \"x\"\ntipo = \"si_no\"\netichetta = \"X\"\nmostra_se = { campo = \"x\", uguale = true }\n",
    );
    let (line, _, message) = load_error(&own);
    assert_eq!(line, 13);
    assert!(message.contains("se stesso"), "{message}");

    // A group child may look at a sibling, not into another group or from outside.
    let outside = with_steps(
        "[[passi]]\nid = \"a\"\ntitolo = \"A\"\n[[passi.campi]]\nid = \"g\"\ntipo = \"gruppo\"\netichetta = \"G\"\n[[passi.campi.campi]]\nid = \"c\"\ntipo = \"si_no\"\netichetta = \"C\"\n[[passi.campi]]\nid = \"x\"\ntipo = \"si_no\"\netichetta = \"X\"\nmostra_se = { campo = \"g.c\", uguale = true }\n",
    );
    let (_, _, message) = load_error(&outside);
    assert!(message.contains("dentro un gruppo"), "{message}");
}

#[test]
fn a_new_version_must_be_raised_when_the_form_changes() {
    let old = sample();
    let Ok(same) = parse("prova.toml", SAMPLE) else {
        panic!()
    };
    assert_eq!(check_update(&old, &same), Ok(()));
    let Ok(changed) = parse(
        "prova.toml",
        &SAMPLE.replace("titolo = \"Primo passo\"", "titolo = \"Inizio\""),
    ) else {
        panic!()
    };
    assert!(check_update(&old, &changed).is_err_and(|m| m.contains("aumentala")));
    let Ok(raised) = parse(
        "prova.toml",
        &SAMPLE
            .replace("titolo = \"Primo passo\"", "titolo = \"Inizio\"")
            .replace("versione = 1", "versione = 2"),
    ) else {
        panic!()
    };
    assert_eq!(check_update(&old, &raised), Ok(()));
    assert!(check_update(&raised, &old).is_err_and(|m| m.contains("più vecchia")));
}

#[test]
fn every_data_file_loads() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/domande");
    let catalog = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/catalog/servizi");
    let mut loaded = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(error) => panic!("{}: {error}", dir.display()),
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let source = std::fs::read_to_string(&path).unwrap_or_default();
        let form = match parse(&name, &source) {
            Ok(form) => form,
            Err(error) => panic!("{error}"),
        };
        assert_eq!(format!("{}.toml", form.code), name, "the code is the file name");
        if let Some(card) = &form.card_slug {
            assert!(
                catalog.join(format!("{card}.toml")).exists(),
                "{name}: no service card {card}"
            );
        }
        loaded.push(form.code);
    }
    loaded.sort();
    assert_eq!(
        loaded,
        [
            "assegno-unico",
            "bando-locazione-popolare",
            "bonus-asilo-nido",
            "certificato-residenza",
            "cure-termali",
            "naspi",
            "ricorso-amministrativo"
        ]
    );
}

#[test]
fn every_problem_code_has_a_message_in_both_languages() {
    let it = [
        include_str!("../../../locales/it/moduli.ftl"),
        include_str!("../../../locales/it/codice_fiscale.ftl"),
    ]
    .concat();
    let en = [
        include_str!("../../../locales/en/moduli.ftl"),
        include_str!("../../../locales/en/codice_fiscale.ftl"),
    ]
    .concat();
    for code in PROBLEM_CODES {
        for (lang, text) in [("it", &it), ("en", &en)] {
            assert!(
                text.lines().any(|l| l.starts_with(&format!("{code} ="))),
                "{lang}: {code}"
            );
        }
    }
    for (name, _) in Prefill::ALL.iter().map(|p| (p.code(), ())) {
        assert!(Prefill::from_code(name).is_some());
    }
}

fn arbitrary_date() -> impl Strategy<Value = jiff::civil::Date> {
    (1900i16..=2100, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| date(y, m, d))
}

proptest! {
    #[test]
    fn dates_typed_either_way_agree(day in arbitrary_date()) {
        let iso = day.to_string();
        let italian = fields::format_date(day);
        prop_assert_eq!(fields::parse_date(&iso), Some(day));
        prop_assert_eq!(fields::parse_date(&italian), Some(day));
    }

    #[test]
    fn no_input_makes_validation_panic(value in ".{0,40}", number in any::<i64>(), flag in any::<bool>()) {
        let form = sample();
        for step in 0..form.steps.len() {
            for field in &form.steps[step].fields {
                for raw in [json!(value), json!(number), json!(flag), json!([value.clone()]), json!({"via": value.clone()})] {
                    let mut input = Map::new();
                    input.insert(field.id.clone(), raw);
                    let _ = validate_step(&form, step, &input, &Answers::default(), today());
                }
            }
        }
    }
}

#[test]
fn the_remaining_codes_each_have_a_case() {
    let form = parse(
        "r.toml",
        r#"
codice = "r"
versione = 1
titolo = "R"
descrizione = "R"
ente = "comune"
[[passi]]
id = "p"
titolo = "P"
[[passi.campi]]
id = "motivi"
tipo = "testo"
etichetta = "Motivi"
righe = 5
min = 20
[[passi.campi]]
id = "retta"
tipo = "importo"
etichetta = "Retta"
min = "1,00"
[[passi.campi]]
id = "dal"
tipo = "data"
etichetta = "Dal"
dopo = 2026-01-01
[[passi.campi]]
id = "doc"
tipo = "allegato"
etichetta = "Documento"
[[passi.campi]]
id = "cf"
tipo = "codice_fiscale"
etichetta = "CF"
[[passi.campi]]
id = "righe"
tipo = "gruppo"
etichetta = "Righe"
min = 2
[[passi.campi.campi]]
id = "x"
tipo = "testo"
etichetta = "X"
"#,
    );
    let Ok(form) = form else { panic!("{form:?}") };
    assert_eq!(
        one(&form, 0, "motivi", json!("troppo corto")),
        vec!["testo-troppo-corto"]
    );
    assert_eq!(
        one(&form, 0, "motivi", json!("riga uno\nriga due, abbastanza lunga")),
        Vec::<&str>::new()
    );
    assert_eq!(one(&form, 0, "retta", json!("0,50")), vec!["importo-minimo"]);
    assert_eq!(
        one(&form, 0, "dal", json!("31/12/2025")),
        vec!["data-troppo-presto"]
    );
    assert_eq!(
        one(&form, 0, "doc", json!("../etc/passwd")),
        vec!["allegato-non-valido"]
    );
    assert_eq!(
        one(&form, 0, "righe", json!([{"x": "solo una"}])),
        vec!["gruppo-minimo"]
    );
    assert_eq!(
        one(&form, 0, "righe", json!([])),
        Vec::<&str>::new(),
        "an optional group may stay empty"
    );
    assert_eq!(
        one(&form, 0, "cf", json!("RSSMRA8XA01H501U")),
        vec!["cf-carattere"]
    );
    assert_eq!(one(&form, 0, "cf", json!("RSSMRA80Z01H501U")), vec!["cf-mese"]);
    assert_eq!(one(&form, 0, "cf", json!("RSSMRA80A32H501U")), vec!["cf-giorno"]);
    let mut raw = Map::new();
    raw.insert("cf".into(), json!("RSSMRA80A01H501A"));
    let Err(problems) = validate_step(&form, 0, &raw, &Answers::default(), today()) else {
        panic!("accepted")
    };
    assert_eq!(
        problems[0].args,
        vec![("expected", "U".to_owned()), ("found", "A".to_owned())]
    );
}

const BILINGUAL: &str = r#"
codice = "prova"
versione = 1
titolo = "Prova"
titolo_en = "Test"
descrizione = "Un modulo."
descrizione_en = "A form."
ente = "inps"

[[passi]]
id = "primo"
titolo = "Primo passo"
titolo_en = "First step"
aiuto = "Leggi bene."
aiuto_en = "Read carefully."

[[passi.campi]]
id = "lavoro"
tipo = "scelta"
etichetta = "Lavoro"
etichetta_en = "Work"
aiuto = "Quello di oggi."
aiuto_en = "Today's."
opzioni = [
  { valore = "dipendente", etichetta = "Dipendente", etichetta_en = "Employee" },
  { valore = "autonomo", etichetta = "Autonomo" },
]

[[passi.campi]]
id = "figli"
tipo = "gruppo"
etichetta = "Figli"

[[passi.campi.campi]]
id = "nome"
tipo = "testo"
etichetta = "Nome"
etichetta_en = "First name"
"#;

#[test]
fn english_companions_load_next_to_the_italian_texts() {
    let form = match parse("prova.toml", BILINGUAL) {
        Ok(form) => form,
        Err(error) => panic!("{error}"),
    };
    fn en(text: &Text) -> InLang<'_> {
        text.get(Lang::En)
    }
    assert_eq!(
        en(&form.title),
        InLang {
            text: "Test",
            fallback: false
        }
    );
    assert_eq!(
        form.title.get(Lang::It),
        InLang {
            text: "Prova",
            fallback: false
        }
    );
    assert_eq!(en(&form.description).text, "A form.");
    let step = &form.steps[0];
    assert_eq!(en(&step.title).text, "First step");
    assert_eq!(step.help.as_ref().map(|h| en(h).text), Some("Read carefully."));
    let Some((_, lavoro)) = form.field("lavoro") else {
        panic!("no lavoro")
    };
    assert_eq!(en(&lavoro.label).text, "Work");
    assert_eq!(lavoro.help.as_ref().map(|h| en(h).text), Some("Today's."));
    let FieldKind::Choice { options, .. } = &lavoro.kind else {
        panic!("not a choice")
    };
    assert_eq!(
        en(&options[0].label),
        InLang {
            text: "Employee",
            fallback: false
        }
    );
    // No English: the Italian text, and the caller is told it fell back.
    assert_eq!(
        en(&options[1].label),
        InLang {
            text: "Autonomo",
            fallback: true
        }
    );
    assert_eq!(
        options[1].label.get(Lang::It),
        InLang {
            text: "Autonomo",
            fallback: false
        }
    );
    let Some((_, figli)) = form.field("figli") else {
        panic!("no figli")
    };
    assert_eq!(
        en(&figli.label),
        InLang {
            text: "Figli",
            fallback: true
        }
    );
    let Some((_, nome)) = form.field("figli.nome") else {
        panic!("no figli.nome")
    };
    assert_eq!(en(&nome.label).text, "First name");
    // The office's wording stays Italian.
    assert_eq!(display_value(lavoro, &json!("dipendente")), "Dipendente");
}

#[test]
fn english_without_italian_or_empty_is_refused_at_its_line() {
    let step = "[[passi]]\nid = \"a\"\ntitolo = \"A\"\n";
    let field = "[[passi.campi]]\nid = \"x\"\ntipo = \"si_no\"\netichetta = \"X\"\n";

    // Line 6 onwards is the body: the step's help in English, with no Italian help.
    let (line, column, message) = load_error(&with_steps(&format!("{step}aiuto_en = \"Help\"\n{field}")));
    assert_eq!((line, column), (9, 12), "{message}");
    assert!(message.contains("\"aiuto_en\" ma manca \"aiuto\""), "{message}");

    let (line, _, message) = load_error(&with_steps(&format!("{step}{field}aiuto_en = \"Help\"\n")));
    assert_eq!(line, 13, "{message}");
    assert!(message.contains("manca \"aiuto\""), "{message}");

    let (line, column, message) = load_error(&with_steps(&format!("{step}{field}etichetta_en = \"  \"\n")));
    assert_eq!((line, column), (13, 16), "{message}");
    assert!(message.contains("\"etichetta_en\" è vuoto"), "{message}");

    let (line, _, message) = load_error(&format!("{HEAD}titolo_en = \"\"\n{step}{field}"));
    assert_eq!(line, 6, "{message}");
    assert!(message.contains("\"titolo_en\" è vuoto"), "{message}");

    let (line, _, message) = load_error(&with_steps(&format!(
        "{step}[[passi.campi]]\nid = \"c\"\ntipo = \"scelta\"\netichetta = \"C\"\nopzioni = [\n  {{ valore = \"a\", etichetta = \"A\", etichetta_en = \"\" }},\n  {{ valore = \"b\", etichetta = \"B\" }},\n]\n"
    )));
    assert_eq!(line, 14, "{message}");
    assert!(message.contains("\"etichetta_en\" è vuoto"), "{message}");

    // A misspelt companion is an unknown key, like any other.
    let (line, _, message) = load_error(&with_steps(&format!("{step}{field}etichetta_eng = \"X\"\n")));
    assert_eq!(line, 13, "{message}");
    assert!(
        message.contains("chiave sconosciuta \"etichetta_eng\""),
        "{message}"
    );
    let (_, _, message) = load_error(&with_steps(&format!("{step}{field}etichetta_de = \"X\"\n")));
    assert!(
        message.contains("chiave sconosciuta \"etichetta_de\""),
        "{message}"
    );
}

#[test]
fn adding_english_is_a_change_that_needs_a_new_version() {
    let old = sample();
    let translated = SAMPLE.replace(
        "titolo = \"Primo passo\"",
        "titolo = \"Primo passo\"\ntitolo_en = \"First step\"",
    );
    let Ok(same_version) = parse("prova.toml", &translated) else {
        panic!()
    };
    assert!(check_update(&old, &same_version).is_err_and(|m| m.contains("aumentala")));
    let Ok(raised) = parse("prova.toml", &translated.replace("versione = 1", "versione = 2")) else {
        panic!()
    };
    assert_eq!(check_update(&old, &raised), Ok(()));
}

/// Every text a citizen reads in a built-in form has its English companion.
#[test]
fn every_data_file_is_in_english_too() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/domande");
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(error) => panic!("{}: {error}", dir.display()),
    };
    fn field_texts<'a>(field: &'a Field, out: &mut Vec<(String, &'a Text)>) {
        out.push((format!("etichetta di {}", field.id), &field.label));
        if let Some(help) = &field.help {
            out.push((format!("aiuto di {}", field.id), help));
        }
        match &field.kind {
            FieldKind::Choice { options, .. } => {
                for option in options {
                    out.push((format!("opzione {} di {}", option.value, field.id), &option.label));
                }
            }
            FieldKind::Group { fields, .. } => {
                for child in fields {
                    field_texts(child, out);
                }
            }
            _ => {}
        }
    }
    let mut count = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let form = match parse(&name, &std::fs::read_to_string(&path).unwrap_or_default()) {
            Ok(form) => form,
            Err(error) => panic!("{error}"),
        };
        let mut texts = vec![
            ("titolo".to_owned(), &form.title),
            ("descrizione".to_owned(), &form.description),
        ];
        for step in &form.steps {
            texts.push((format!("titolo del passo {}", step.id), &step.title));
            if let Some(help) = &step.help {
                texts.push((format!("aiuto del passo {}", step.id), help));
            }
            for field in &step.fields {
                field_texts(field, &mut texts);
            }
        }
        for (what, text) in texts {
            let en = text.en.as_deref().unwrap_or_default();
            assert!(!en.trim().is_empty(), "{name}: {what} has no English");
        }
        count += 1;
    }
    assert_eq!(count, 7);
}

proptest! {
    /// Any English text written in the file comes back as written, and is what an English
    /// reader gets; an Italian reader always gets the Italian.
    #[test]
    fn english_texts_come_back_as_written(en in "[^\u{0}-\u{1f}\u{7f}]{0,30}[a-zA-Z][^\u{0}-\u{1f}\u{7f}]{0,30}") {
        let quoted = toml::Value::String(en.clone()).to_string();
        let source = SAMPLE.replace("etichetta = \"Nome\"", &format!("etichetta = \"Nome\"\netichetta_en = {quoted}"));
        let form = match parse("prova.toml", &source) {
            Ok(form) => form,
            Err(error) => return Err(TestCaseError::fail(error.to_string())),
        };
        let Some((_, nome)) = form.field("nome") else {
            return Err(TestCaseError::fail("no nome"));
        };
        prop_assert_eq!(nome.label.get(Lang::En), InLang { text: en.as_str(), fallback: false });
        prop_assert_eq!(nome.label.get(Lang::It), InLang { text: "Nome", fallback: false });
    }

    #[test]
    fn a_text_falls_back_only_to_italian_and_only_in_english(it in ".{0,20}", en in proptest::option::of(".{1,20}"), english in any::<bool>()) {
        let text = Text { it: it.clone(), en: en.clone() };
        let lang = if english { Lang::En } else { Lang::It };
        let shown = text.get(lang);
        prop_assert_eq!(shown.fallback, english && en.is_none());
        let expected = match (english, &en) {
            (true, Some(en)) => en.as_str(),
            _ => it.as_str(),
        };
        prop_assert_eq!(shown.text, expected);
    }
}
