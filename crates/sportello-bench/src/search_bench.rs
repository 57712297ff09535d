//! Latency of the catalogue search over 10,000 synthetic Italian pages.
//!
//! `search-bench`: generates the pages deterministically (fixed seed; a vocabulary of a few
//! thousand Italian-sounding words made of syllables plus the real service words; log-uniform
//! popularity), builds the index, then runs 20,000 queries of mixed shape on one thread
//! (1–3 words; 20% with a typo, 10% using a synonym, 10% matching nothing) and prints
//! `search docs: N queries: Q p50_ms: X p99_ms: Y max_ms: Z build_ms: B`.
//! Run it in release: `cargo run --release -p sportello-bench --bin search-bench`.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use sportello::catalog::search::{SearchDoc, SearchIndex, Synonyms};

const DOCS: usize = 10_000;
const QUERIES: usize = 20_000;
const VOCABULARY: usize = 3_000;

const SERVICE_WORDS: &[&str] = &[
    "pensione",
    "assegno",
    "disoccupazione",
    "invalidità",
    "naspi",
    "isee",
    "domanda",
    "bonus",
    "nido",
    "congedo",
    "maternità",
    "paternità",
    "reddito",
    "inclusione",
    "contributi",
    "riscatto",
    "laurea",
    "ricongiunzione",
    "certificato",
    "cedolino",
    "rimborso",
    "malattia",
    "infortunio",
    "famiglia",
    "figli",
    "reversibilità",
    "vecchiaia",
    "anticipata",
    "lavoratori",
    "dipendenti",
    "autonomi",
    "agricoli",
    "domestici",
    "permesso",
    "sostegno",
    "indennità",
    "prestazione",
    "estratto",
    "conto",
    "previdenza",
    "integrazione",
    "salariale",
    "cassa",
    "mobilità",
    "accompagnamento",
    "handicap",
    "disabilità",
    "superstiti",
    "quattordicesima",
    "pagamento",
    "modello",
    "dichiarazione",
    "detrazioni",
    "ricorso",
    "patronato",
    "sede",
    "appuntamento",
];

const SYLLABLES: &[&str] = &[
    "ba", "be", "bi", "bo", "ca", "ce", "ci", "co", "da", "de", "di", "do", "fa", "fe", "fi", "fo", "ga",
    "ge", "la", "le", "li", "lo", "ma", "me", "mi", "mo", "na", "ne", "ni", "no", "pa", "pe", "pi", "po",
    "ra", "re", "ri", "ro", "sa", "se", "si", "so", "ta", "te", "ti", "to", "va", "ve", "vi", "vo", "za",
    "zo", "stra", "tro", "gli", "zio", "mento", "tà", "zione", "nte",
];

const FILLERS: &[&str] = &["di", "e", "per", "il", "la", "del", "con", "nel", "a", "che"];

const SYNONYMS: &str = "\
disoccupazione: naspi, dis-coll
asilo nido: bonus nido
invalidità: disabilità, handicap
pensione anticipata: quota 103
cig: cassa integrazione
cud: certificazione unica
";

const SYNONYM_QUERIES: &[&str] = &[
    "disoccupazione",
    "asilo nido",
    "invalidità",
    "pensione anticipata",
    "cig",
    "cud",
    "domanda disoccupazione",
    "bonus asilo nido",
];

/// splitmix64: small, fast and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }

    /// Rank in [0, n), log-uniform: word frequencies roughly follow Zipf's law.
    fn zipf(&mut self, n: usize) -> usize {
        (((n as f64 + 1.0).powf(self.unit()) - 1.0) as usize).min(n.saturating_sub(1))
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

fn vocabulary(rng: &mut Rng) -> Vec<String> {
    let mut seen: HashSet<String> = SERVICE_WORDS.iter().map(|w| (*w).to_owned()).collect();
    // Service words first: they get the low (frequent) ranks.
    let mut words: Vec<String> = SERVICE_WORDS.iter().map(|w| (*w).to_owned()).collect();
    while words.len() < VOCABULARY {
        let syllables = 2 + rng.below(3);
        let word: String = (0..syllables).map(|_| rng.pick(SYLLABLES)).collect();
        if seen.insert(word.clone()) {
            words.push(word);
        }
    }
    words
}

fn sentence(rng: &mut Rng, words: &[String], count: usize) -> String {
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        if rng.below(4) == 0 {
            out.push(rng.pick(FILLERS).to_owned());
        } else {
            out.push(words[rng.zipf(words.len())].clone());
        }
    }
    out.join(" ")
}

fn documents(rng: &mut Rng, words: &[String]) -> Vec<SearchDoc> {
    (0..DOCS)
        .map(|key| {
            let title_len = 2 + rng.below(5);
            let mut title = sentence(rng, words, title_len);
            if rng.below(2) == 0 {
                title = format!("{} {title}", rng.pick(SERVICE_WORDS));
            }
            let keywords = (0..rng.below(5))
                .map(|_| rng.pick(SERVICE_WORDS).to_owned())
                .collect();
            let summary_len = 8 + rng.below(13);
            let body_len = 40 + rng.below(81);
            SearchDoc {
                key: u32::try_from(key).unwrap_or(u32::MAX),
                title,
                summary: sentence(rng, words, summary_len),
                body: sentence(rng, words, body_len),
                keywords,
                popularity: (100_000f64.powf(rng.unit()) - 1.0) as u32,
            }
        })
        .collect()
}

/// One edit (drop, swap, replace a letter) in a word long enough to be corrected.
fn typo(rng: &mut Rng, word: &str) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    if chars.len() < 5 {
        return word.to_owned();
    }
    let at = 1 + rng.below(chars.len() - 2);
    match rng.below(3) {
        0 => {
            chars.remove(at);
        }
        1 => chars.swap(at, at + 1),
        _ => chars[at] = 'x',
    }
    chars.into_iter().collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Plain,
    Typo,
    Synonym,
    NoMatch,
}

fn queries(rng: &mut Rng, words: &[String]) -> Vec<(Shape, String)> {
    (0..QUERIES)
        .map(|_| {
            let roll = rng.below(100);
            let count = 1 + rng.below(3);
            let mut picked: Vec<String> = (0..count).map(|_| words[rng.zipf(words.len())].clone()).collect();
            if roll < 20 {
                let at = rng.below(picked.len());
                picked[at] = typo(rng, &picked[at]);
                (Shape::Typo, picked.join(" "))
            } else if roll < 30 {
                (Shape::Synonym, rng.pick(SYNONYM_QUERIES).to_owned())
            } else if roll < 40 {
                let nonsense: Vec<String> = (0..count)
                    .map(|_| {
                        (0..4 + rng.below(6))
                            .map(|_| rng.pick(&["q", "x", "k", "w", "j", "y"]))
                            .collect()
                    })
                    .collect();
                (Shape::NoMatch, nonsense.join(" "))
            } else {
                (Shape::Plain, picked.join(" "))
            }
        })
        .collect()
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn main() -> Result<(), String> {
    let mut rng = Rng(0x5EED_2026);
    let words = vocabulary(&mut rng);
    let docs = documents(&mut rng, &words);
    let synonyms = Synonyms::parse(SYNONYMS).map_err(|e| e.to_string())?;

    let started = Instant::now();
    let index = SearchIndex::build(&docs, &synonyms).map_err(|e| e.to_string())?;
    let build = started.elapsed();

    let queries = queries(&mut rng, &words);
    // A short warm-up so page faults and lazy statics are not measured.
    for (_, query) in queries.iter().take(200) {
        std::hint::black_box(index.search(query, 10));
    }
    let mut times = Vec::with_capacity(queries.len());
    let mut answered = [[0usize; 2]; 4];
    for (shape, query) in &queries {
        let started = Instant::now();
        let hits = index.search(query, 10);
        times.push(started.elapsed());
        answered[*shape as usize][usize::from(!hits.is_empty())] += 1;
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    let max = times.last().copied().unwrap_or_default();
    for (name, shape) in [
        ("plain", Shape::Plain),
        ("typo", Shape::Typo),
        ("synonym", Shape::Synonym),
        ("no-match", Shape::NoMatch),
    ] {
        let [empty, found] = answered[shape as usize];
        eprintln!("{name}: {found} with hits, {empty} without");
    }
    println!(
        "search docs: {} queries: {} p50_ms: {:.3} p99_ms: {:.3} max_ms: {:.3} build_ms: {:.0}",
        index.len(),
        queries.len(),
        millis(at(0.50)),
        millis(at(0.99)),
        millis(max),
        millis(build),
    );
    Ok(())
}
