//! Italian full-text search over the service catalogue, in RAM with tantivy.
//!
//! Built once from the catalogue's pages ([`SearchIndex::build`]) and then read by many
//! threads. Citizens' queries are never parsed as query syntax: they are analysed like the
//! documents (lowercased, accents folded, Italian stop words removed, stemmed) and turned
//! into a boolean query by hand, so `+ - " ( ) : * ~ ^ AND OR` are just characters.
//!
//! Ranking, in order of importance:
//! 1. documents containing every word of the query come first; then the others, best first;
//! 2. text relevance (BM25): title ×3, keywords ×2.5, summary ×2, body ×1; a word matched
//!    through a typo (fuzzy) or a synonym counts less than the word itself;
//! 3. a gentle popularity factor, between 1 and 1.5, multiplies the text score.
//!
//! Synonyms are applied to the query, not to the documents: `disoccupazione: naspi` makes a
//! search for "disoccupazione" also look for "naspi". They are one-way: for "naspi" to find
//! "disoccupazione" the editor writes the second line `naspi: disoccupazione` too.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock};

use tantivy::collector::TopDocs;
use tantivy::query::{
    BooleanQuery, BoostQuery, DisjunctionMaxQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter,
    TextAnalyzer,
};
use tantivy::{
    DocAddress, DocId, Index, IndexWriter, Order, ReloadPolicy, Score, Searcher, SegmentReader,
    TantivyDocument, Term,
};
use unicode_normalization::UnicodeNormalization;

/// One searchable page. `key` is the caller's index into its own list of pages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchDoc {
    pub key: u32,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub keywords: Vec<String>,
    pub popularity: u32,
}

/// One result: the caller's key and the score it was ranked by.
///
/// Hits come best first. Scores order the hits within each tier (all the words matched, then
/// some of them), so a later hit may carry a higher score than an earlier one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub key: u32,
    pub score: f32,
}

/// Name under which the Italian analyzer is registered in the index.
const ANALYZER: &str = "it";
/// Title words lowercased and folded but neither stemmed nor filtered, for suggestions.
const PREFIX_ANALYZER: &str = "it_prefix";

const TITLE: &str = "title";
const TITLE_PREFIX: &str = "title_prefix";
const KEYWORDS: &str = "keywords";
const SUMMARY: &str = "summary";
const BODY: &str = "body";
const POPULARITY: &str = "popularity";
const KEY: &str = "key";

/// Tokens of this many bytes or more are dropped (codes, pasted garbage).
const MAX_TOKEN_BYTES: usize = 40;
/// Only the start of a query is read: enough for 32 words, and bounded work on 10 MB.
const MAX_QUERY_BYTES: usize = 4096;
const MAX_QUERY_WORDS: usize = 32;
const MAX_WORD_CHARS: usize = 256;
const MAX_LIMIT: usize = 100;

const TITLE_BOOST: Score = 3.0;
const KEYWORDS_BOOST: Score = 2.5;
const SUMMARY_BOOST: Score = 2.0;
const BODY_BOOST: Score = 1.0;
/// Share of the exact word's weight a typo match gets, by edit distance. Low enough that a
/// fuzzy match in the title (3 × 0.3) still scores below an exact match in the body (1).
const FUZZY_WEIGHT_1: Score = 0.3;
const FUZZY_WEIGHT_2: Score = 0.2;
/// At most this many dictionary words stand in for one misspelt word.
const MAX_FUZZY_EXPANSIONS: usize = 8;
/// Dictionary words examined per misspelt word and field (bounds the work on short stems).
const MAX_FUZZY_SCAN: usize = 256;
const SYNONYM_WEIGHT: Score = 0.8;
/// A word found in several fields scores its best field plus a little of the others.
const TIE_BREAKER: Score = 0.1;

/// Italian function words, folded (the filter runs after accent folding, so "perché" and
/// "perche" are both dropped). Written here rather than taken from tantivy's list, which
/// holds accented forms that never match after folding and drops words we need:
/// "io" (App IO) and "sia" (the SIA measure).
const STOP_WORDS: &[&str] = &[
    // articles and elided letters (l', d', c', un', ...)
    "il", "lo", "la", "i", "gli", "le", "l", "un", "uno", "una", "c", "d", "m", "s", "t", "v",
    // prepositions, simple and articulated
    "di", "a", "da", "in", "con", "su", "per", "tra", "fra", "del", "dello", "della", "dei", "degli", "delle",
    "dell", "degl", "al", "allo", "alla", "ai", "agli", "alle", "all", "agl", "dal", "dallo", "dalla", "dai",
    "dagli", "dalle", "dall", "dagl", "nel", "nello", "nella", "nei", "negli", "nelle", "nell", "negl",
    "col", "coi", "sul", "sullo", "sulla", "sui", "sugli", "sulle", "sull", "sugl",
    // conjunctions and adverbs
    "e", "ed", "o", "od", "ma", "se", "che", "anche", "come", "dove", "quando", "perche", "pero", "piu",
    "non", "ne", "oppure", "quindi", "cioe", // pronouns and determiners
    "mi", "ti", "ci", "vi", "si", "me", "te", "ce", "ve", "lui", "lei", "noi", "voi", "loro", "mio", "mia",
    "miei", "mie", "tuo", "tua", "tuoi", "tue", "suo", "sua", "suoi", "sue", "nostro", "nostra", "nostri",
    "nostre", "vostro", "vostra", "vostri", "vostre", "cui", "chi", "quale", "quali", "quanto", "quanti",
    "quanta", "quante", "questo", "questa", "questi", "queste", "quello", "quella", "quelli", "quelle",
    // the commonest forms of essere and avere
    "sono", "sei", "siamo", "siete", "era", "erano", "ho", "hai", "ha", "abbiamo", "avete", "hanno",
];

/// The analyzer of the title, keywords, summary and body fields, and of queries.
fn italian_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::remove(
            STOP_WORDS.iter().map(|word| (*word).to_owned()),
        ))
        .filter(Stemmer::new(Language::Italian))
        .build()
}

/// Whole title words, for prefix matching as the user types.
fn prefix_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

// Built once (the stop word set is shared); each use clones, which is cheap.
static ITALIAN: LazyLock<TextAnalyzer> = LazyLock::new(italian_analyzer);
static PREFIX: LazyLock<TextAnalyzer> = LazyLock::new(prefix_analyzer);

/// Composes decomposed accents ("e" + U+0301) so that folding sees "é", not "e" and a mark
/// that would split the word.
fn compose(text: &str) -> Cow<'_, str> {
    if text.is_ascii()
        || unicode_normalization::is_nfc_quick(text.chars()) == unicode_normalization::IsNormalized::Yes
    {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.nfc().collect())
    }
}

/// A word as the index sees it, with its position (stop words leave gaps).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Word {
    position: usize,
    text: String,
}

fn words_with(analyzer: &TextAnalyzer, text: &str, max_words: usize) -> Vec<Word> {
    let mut analyzer = analyzer.clone();
    let text = compose(text);
    let mut stream = analyzer.token_stream(&text);
    let mut words = Vec::new();
    while words.len() < max_words && stream.advance() {
        let token = stream.token();
        let mut word = token.text.clone();
        if let Some((cut, _)) = word.char_indices().nth(MAX_WORD_CHARS) {
            word.truncate(cut);
        }
        words.push(Word {
            position: token.position,
            text: word,
        });
    }
    words
}

/// The start of a query, cut at a character boundary.
fn query_head(query: &str) -> &str {
    &query[..query.floor_char_boundary(MAX_QUERY_BYTES)]
}

/// The words of a text as the index sees them (lowercased, accents folded, Italian stop
/// words removed, stemmed). Public for tests and for the synonyms page.
pub fn analyze(text: &str) -> Vec<String> {
    words_with(&ITALIAN, text, usize::MAX)
        .into_iter()
        .map(|word| word.text)
        .collect()
}

/// Why a synonyms list was refused: the line (from 1) and what is wrong with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct SynonymError {
    pub line: usize,
    pub reason: &'static str,
}

const MAX_SYNONYM_LINES: usize = 2000;
const MAX_SYNONYM_LINE_CHARS: usize = 500;

/// Editor-maintained synonyms: each line "term: alternative, alternative". Terms may be
/// phrases ("asilo nido: bonus nido"). Blank lines and lines starting with `#` are ignored.
///
/// One-way: "disoccupazione: naspi" makes a search for "disoccupazione" also find pages
/// about NASpI, not the other way round; for both ways, write both lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Synonyms {
    entries: Vec<SynonymEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct SynonymEntry {
    term: String,
    alternatives: Vec<String>,
}

/// Words separated by single spaces.
fn tidy(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Synonyms {
    /// Reads the editors' text. Fails on the first bad line: one without `:`, with an empty
    /// side or a side with no searchable word (only stop words or symbols), or longer than
    /// 500 characters; and on texts of more than 2000 lines.
    pub fn parse(text: &str) -> Result<Synonyms, SynonymError> {
        let mut entries = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let error = |reason| SynonymError { line, reason };
            if line > MAX_SYNONYM_LINES {
                return Err(error("too many lines (at most 2000)"));
            }
            if raw.chars().count() > MAX_SYNONYM_LINE_CHARS {
                return Err(error("line longer than 500 characters"));
            }
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let Some((term, alternatives)) = trimmed.split_once(':') else {
                return Err(error("missing ':' between the term and its alternatives"));
            };
            let term = tidy(term);
            if term.is_empty() {
                return Err(error("empty term before ':'"));
            }
            let alternatives: Vec<String> = alternatives
                .split(',')
                .map(tidy)
                .filter(|alternative| !alternative.is_empty())
                .collect();
            if alternatives.is_empty() {
                return Err(error("no alternatives after ':'"));
            }
            if analyze(&term).is_empty() {
                return Err(error("the term has no searchable word"));
            }
            if alternatives
                .iter()
                .any(|alternative| analyze(alternative).is_empty())
            {
                return Err(error("an alternative has no searchable word"));
            }
            let entry = SynonymEntry { term, alternatives };
            // The limit holds for the canonical form too, so `to_text` always parses back.
            if entry_line(&entry).chars().count() > MAX_SYNONYM_LINE_CHARS {
                return Err(error("line longer than 500 characters"));
            }
            entries.push(entry);
        }
        Ok(Synonyms { entries })
    }

    /// The canonical text: one "term: alternative, alternative" line per entry.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for entry in &self.entries {
            text.push_str(&entry_line(entry));
            text.push('\n');
        }
        text
    }

    /// The entries, as (term, alternatives), in the order written.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries
            .iter()
            .map(|entry| (entry.term.as_str(), entry.alternatives.as_slice()))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn entry_line(entry: &SynonymEntry) -> String {
    format!("{}: {}", entry.term, entry.alternatives.join(", "))
}

/// A synonym entry as the query sees it: analysed words of the term, and of each alternative
/// with positions relative to its first word (for phrases).
#[derive(Debug)]
struct SynonymRule {
    term: Vec<String>,
    alternatives: Vec<Vec<(usize, String)>>,
}

fn synonym_rules(synonyms: &Synonyms) -> Vec<SynonymRule> {
    synonyms
        .entries
        .iter()
        .filter_map(|entry| {
            let term: Vec<String> = analyze(&entry.term);
            let alternatives: Vec<Vec<(usize, String)>> = entry
                .alternatives
                .iter()
                .map(|alternative| {
                    let words = words_with(&ITALIAN, alternative, MAX_QUERY_WORDS);
                    let first = words.first().map_or(0, |word| word.position);
                    words
                        .into_iter()
                        .map(|word| (word.position.saturating_sub(first), word.text))
                        .collect::<Vec<_>>()
                })
                .filter(|words| !words.is_empty())
                .collect();
            (!term.is_empty() && !alternatives.is_empty()).then_some(SynonymRule { term, alternatives })
        })
        .collect()
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    title: Field,
    title_prefix: Field,
    keywords: Field,
    summary: Field,
    body: Field,
    popularity: Field,
    key: Field,
}

impl Fields {
    /// The text fields searched, with their boosts.
    fn weighted(&self) -> [(Field, Score); 4] {
        [
            (self.title, TITLE_BOOST),
            (self.keywords, KEYWORDS_BOOST),
            (self.summary, SUMMARY_BOOST),
            (self.body, BODY_BOOST),
        ]
    }
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let prefix = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(PREFIX_ANALYZER)
            .set_index_option(IndexRecordOption::Basic)
            .set_fieldnorms(false),
    );
    let fields = Fields {
        title: builder.add_text_field(TITLE, text.clone()),
        title_prefix: builder.add_text_field(TITLE_PREFIX, prefix),
        keywords: builder.add_text_field(KEYWORDS, text.clone()),
        summary: builder.add_text_field(SUMMARY, text.clone()),
        body: builder.add_text_field(BODY, text),
        popularity: builder.add_u64_field(POPULARITY, NumericOptions::default().set_fast()),
        key: builder.add_u64_field(KEY, NumericOptions::default().set_fast().set_stored()),
    };
    (builder.build(), fields)
}

/// `1 + 0.5 · ln(1 + uses) / ln(1001)`, at most 1.5: a page used 1000 times scores half as
/// much again as an unused one with the same text match, and no more beyond that.
fn popularity_factor(popularity: u64) -> Score {
    let scaled = ((popularity as f64).ln_1p() / 1001f64.ln()).min(1.0);
    (1.0 + 0.5 * scaled) as Score
}

/// BM25's inverse document frequency, as tantivy computes it.
fn idf(doc_freq: u64, num_docs: u64) -> Score {
    let doc_freq = doc_freq as f64;
    let num_docs = num_docs.max(1) as f64;
    (1.0 + (num_docs - doc_freq + 0.5) / (doc_freq + 0.5)).ln() as Score
}

/// Edit distance counting a transposition of neighbours as one edit, like the fuzzy automaton.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

/// The catalogue's search index: in RAM, built once, then shared by all requests.
pub struct SearchIndex {
    searcher: Searcher,
    fields: Fields,
    synonyms: Arc<Vec<SynonymRule>>,
    /// The caller's key of each document, by segment then document id.
    keys: Arc<Vec<Vec<u32>>>,
    len: usize,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("docs", &self.len)
            .field("synonyms", &self.synonyms.len())
            .finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// Indexes the pages in RAM.
    pub fn build(docs: &[SearchDoc], synonyms: &Synonyms) -> anyhow::Result<SearchIndex> {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        index.tokenizers().register(ANALYZER, italian_analyzer());
        index.tokenizers().register(PREFIX_ANALYZER, prefix_analyzer());
        // One thread and a budget that holds the whole catalogue: one segment, no merging.
        let mut writer: IndexWriter<TantivyDocument> = index.writer_with_num_threads(1, 128_000_000)?;
        for doc in docs {
            let mut document = TantivyDocument::default();
            let title = compose(&doc.title);
            document.add_text(fields.title, &title);
            document.add_text(fields.title_prefix, &title);
            for keyword in &doc.keywords {
                document.add_text(fields.keywords, compose(keyword));
            }
            document.add_text(fields.summary, compose(&doc.summary));
            document.add_text(fields.body, compose(&doc.body));
            document.add_u64(fields.popularity, u64::from(doc.popularity));
            document.add_u64(fields.key, u64::from(doc.key));
            writer.add_document(document)?;
        }
        writer.commit()?;
        writer.wait_merging_threads()?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let searcher = reader.searcher();
        let mut keys = Vec::with_capacity(searcher.segment_readers().len());
        for segment in searcher.segment_readers() {
            let column = segment.fast_fields().u64(KEY)?;
            let segment_keys = (0..segment.max_doc())
                .map(|doc| {
                    let key = column.first(doc).unwrap_or(u64::MAX);
                    u32::try_from(key).unwrap_or(u32::MAX)
                })
                .collect();
            keys.push(segment_keys);
        }
        Ok(SearchIndex {
            searcher,
            fields,
            synonyms: Arc::new(synonym_rules(synonyms)),
            keys: Arc::new(keys),
            len: docs.len(),
        })
    }

    /// The same documents with other synonyms: cheap, nothing is re-indexed.
    pub fn with_synonyms(&self, synonyms: &Synonyms) -> SearchIndex {
        SearchIndex {
            searcher: self.searcher.clone(),
            fields: self.fields,
            synonyms: Arc::new(synonym_rules(synonyms)),
            keys: Arc::clone(&self.keys),
            len: self.len,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The best pages for what a citizen typed, best first, at most `limit` (capped at 100).
    ///
    /// Never fails or panics on user input: any string (empty, 10 KB, odd Unicode, query-syntax
    /// characters like + - " ( ) : * ~ ^ AND OR) is just words. Only the first 4 KB and the
    /// first 32 words count. Empty when no word matches anything.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let limit = limit.min(MAX_LIMIT);
        if limit == 0 {
            return Vec::new();
        }
        match self.try_search(query, limit) {
            Ok(hits) => hits,
            Err(error) => {
                tracing::warn!(%error, "catalogue search failed");
                Vec::new()
            }
        }
    }

    fn try_search(&self, query: &str, limit: usize) -> tantivy::Result<Vec<Hit>> {
        let words = words_with(&ITALIAN, query_head(query), MAX_QUERY_WORDS);
        let groups = self.word_groups(&words)?;
        let all_matchable = groups.iter().all(Option::is_some);
        let groups: Vec<Box<dyn Query>> = groups.into_iter().flatten().collect();
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        let mut hits = Vec::new();
        // First the pages with every word, then the rest: more words matched ranks higher.
        if all_matchable && groups.len() > 1 {
            let mut every = BooleanQuery::new(
                groups
                    .iter()
                    .map(|group| (Occur::Should, group.box_clone()))
                    .collect(),
            );
            every.set_minimum_number_should_match(groups.len());
            hits = self.top(&every, limit)?;
        }
        if hits.len() < limit {
            let found: HashSet<u32> = hits.iter().map(|hit| hit.key).collect();
            let any = BooleanQuery::new(groups.into_iter().map(|group| (Occur::Should, group)).collect());
            let more = self.top(&any, limit + hits.len())?;
            hits.extend(
                more.into_iter()
                    .filter(|hit| !found.contains(&hit.key))
                    .take(limit - hits.len()),
            );
        }
        Ok(hits)
    }

    /// One query per distinct word: its exact matches in each field, its near spellings and
    /// the synonyms it takes part in; `None` for a word nothing can match.
    fn word_groups(&self, words: &[Word]) -> tantivy::Result<Vec<Option<Box<dyn Query>>>> {
        let mut distinct: Vec<&str> = Vec::new();
        for word in words {
            if !distinct.contains(&word.text.as_str()) {
                distinct.push(&word.text);
            }
        }
        // Synonym terms found as consecutive words of the query; their alternatives join
        // the groups of those words.
        let mut rules_of: Vec<Vec<usize>> = vec![Vec::new(); distinct.len()];
        for (rule_index, rule) in self.synonyms.iter().enumerate() {
            let span = rule.term.len();
            if span == 0 || span > words.len() {
                continue;
            }
            for start in 0..=words.len() - span {
                let matches = words[start..start + span]
                    .iter()
                    .zip(&rule.term)
                    .all(|(word, term)| &word.text == term);
                if !matches {
                    continue;
                }
                for word in &words[start..start + span] {
                    if let Some(group) = distinct.iter().position(|text| *text == word.text)
                        && !rules_of[group].contains(&rule_index)
                    {
                        rules_of[group].push(rule_index);
                    }
                }
            }
        }
        distinct
            .iter()
            .zip(&rules_of)
            .map(|(word, rules)| self.word_group(word, rules))
            .collect()
    }

    fn word_group(&self, word: &str, rules: &[usize]) -> tantivy::Result<Option<Box<dyn Query>>> {
        let num_docs = self.searcher.num_docs();
        let mut disjuncts: Vec<Box<dyn Query>> = Vec::new();
        let mut word_doc_freq = Vec::with_capacity(4);
        for (field, boost) in self.fields.weighted() {
            let term = Term::from_field_text(field, word);
            let doc_freq = self.searcher.doc_freq(&term)?;
            word_doc_freq.push(doc_freq);
            if doc_freq > 0 {
                disjuncts.push(Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
                    boost,
                )));
            }
        }
        let known_doc_freq = word_doc_freq.iter().copied().max().unwrap_or(0);
        for (candidate, distance) in self.fuzzy_candidates(word)? {
            let weight = if distance <= 1 {
                FUZZY_WEIGHT_1
            } else {
                FUZZY_WEIGHT_2
            };
            for (index, (field, boost)) in self.fields.weighted().into_iter().enumerate() {
                let term = Term::from_field_text(field, &candidate);
                let doc_freq = self.searcher.doc_freq(&term)?;
                if doc_freq == 0 {
                    continue;
                }
                // A rare near-spelling must not outscore the common word the user typed:
                // score it with the typed word's rarity when that word is in the index.
                let reference = match word_doc_freq.get(index).copied() {
                    Some(freq) if freq > 0 => freq,
                    _ if known_doc_freq > 0 => known_doc_freq,
                    _ => doc_freq,
                };
                let rarity = (idf(reference, num_docs) / idf(doc_freq, num_docs)).min(1.0);
                disjuncts.push(Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
                    boost * weight * rarity,
                )));
            }
        }
        for &rule in rules {
            let Some(rule) = self.synonyms.get(rule) else {
                continue;
            };
            for alternative in &rule.alternatives {
                for (field, boost) in self.fields.weighted() {
                    let query: Box<dyn Query> = match alternative.as_slice() {
                        [] => continue,
                        [(_, single)] => Box::new(TermQuery::new(
                            Term::from_field_text(field, single),
                            IndexRecordOption::WithFreqs,
                        )),
                        phrase => Box::new(PhraseQuery::new_with_offset(
                            phrase
                                .iter()
                                .map(|(offset, text)| (*offset, Term::from_field_text(field, text)))
                                .collect(),
                        )),
                    };
                    disjuncts.push(Box::new(BoostQuery::new(query, boost * SYNONYM_WEIGHT)));
                }
            }
        }
        if disjuncts.is_empty() {
            return Ok(None);
        }
        Ok(Some(Box::new(DisjunctionMaxQuery::with_tie_breaker(
            disjuncts,
            TIE_BREAKER,
        ))))
    }

    /// Indexed words within the allowed edit distance of `word`: one edit for 5 to 8
    /// characters, two from 9; none under 5. Nearest and commonest first.
    fn fuzzy_candidates(&self, word: &str) -> tantivy::Result<Vec<(String, usize)>> {
        let distance: u8 = match word.chars().count() {
            0..=4 => return Ok(Vec::new()),
            5..=8 => 1,
            _ => 2,
        };
        let automaton = FuzzyTermQuery::new(Term::from_field_text(self.fields.title, word), distance, true)
            .automaton()?;
        let mut found: HashMap<String, u64> = HashMap::new();
        for (field, _) in self.fields.weighted() {
            for segment in self.searcher.segment_readers() {
                let inverted = segment.inverted_index(field)?;
                let mut stream = inverted.terms().search(&automaton).into_stream()?;
                let mut scanned = 0;
                while scanned < MAX_FUZZY_SCAN && stream.advance() {
                    scanned += 1;
                    let Ok(text) = std::str::from_utf8(stream.key()) else {
                        continue;
                    };
                    if text != word {
                        *found.entry(text.to_owned()).or_default() += u64::from(stream.value().doc_freq);
                    }
                }
            }
        }
        let mut candidates: Vec<(String, usize, u64)> = found
            .into_iter()
            .map(|(text, doc_freq)| {
                let distance = edit_distance(word, &text);
                (text, distance, doc_freq)
            })
            .collect();
        candidates.sort_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
        candidates.truncate(MAX_FUZZY_EXPANSIONS);
        Ok(candidates
            .into_iter()
            .map(|(text, distance, _)| (text, distance))
            .collect())
    }

    /// The best `limit` documents for `query`, text score times the popularity factor.
    fn top(&self, query: &dyn Query, limit: usize) -> tantivy::Result<Vec<Hit>> {
        let collector = TopDocs::with_limit(limit).tweak_score(|segment: &SegmentReader| {
            let popularity = segment
                .fast_fields()
                .u64(POPULARITY)
                .ok()
                .map(|column| column.first_or_default_col(0));
            move |doc: DocId, score: Score| match &popularity {
                Some(column) => score * popularity_factor(column.get_val(doc)),
                None => score,
            }
        });
        let top: Vec<(Score, DocAddress)> = self.searcher.search(query, &collector)?;
        Ok(top
            .into_iter()
            .filter_map(|(score, address)| self.key_of(address).map(|key| Hit { key, score }))
            .collect())
    }

    fn key_of(&self, address: DocAddress) -> Option<u32> {
        self.keys
            .get(address.segment_ord as usize)?
            .get(address.doc_id as usize)
            .copied()
    }

    /// Up to `limit` (capped at 100) keys for as-you-type suggestions: pages whose title has
    /// a word starting with the last (partial) word typed and contains the other words
    /// (as the search sees them: "assegni fam" suggests "Assegno per il nucleo familiare");
    /// most used first.
    pub fn suggest(&self, prefix: &str, limit: usize) -> Vec<u32> {
        let limit = limit.min(MAX_LIMIT);
        if limit == 0 {
            return Vec::new();
        }
        match self.try_suggest(prefix, limit) {
            Ok(keys) => keys,
            Err(error) => {
                tracing::warn!(%error, "catalogue suggestions failed");
                Vec::new()
            }
        }
    }

    fn try_suggest(&self, prefix: &str, limit: usize) -> tantivy::Result<Vec<u32>> {
        let typed = words_with(&PREFIX, query_head(prefix), MAX_QUERY_WORDS);
        let Some((last, others)) = typed.split_last() else {
            return Ok(Vec::new());
        };
        // The last word as typed so far, or complete in another form ("assegni").
        let mut last_word: Vec<(Occur, Box<dyn Query>)> = vec![(
            Occur::Should,
            Box::new(FuzzyTermQuery::new_prefix(
                Term::from_field_text(self.fields.title_prefix, &last.text),
                0,
                true,
            )),
        )];
        for stem in analyze(&last.text) {
            last_word.push((
                Occur::Should,
                Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.title, &stem),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, Box::new(BooleanQuery::new(last_word)))];
        for other in others {
            for stem in analyze(&other.text) {
                clauses.push((
                    Occur::Must,
                    Box::new(TermQuery::new(
                        Term::from_field_text(self.fields.title, &stem),
                        IndexRecordOption::Basic,
                    )),
                ));
            }
        }
        let query = BooleanQuery::new(clauses);
        let collector = TopDocs::with_limit(limit).order_by_u64_field(POPULARITY, Order::Desc);
        let top = self.searcher.search(&query, &collector)?;
        Ok(top
            .into_iter()
            .filter_map(|(_, address)| self.key_of(address))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use proptest::prelude::*;

    use super::*;

    fn doc(
        key: u32,
        title: &str,
        summary: &str,
        body: &str,
        keywords: &[&str],
        popularity: u32,
    ) -> SearchDoc {
        SearchDoc {
            key,
            title: title.to_owned(),
            summary: summary.to_owned(),
            body: body.to_owned(),
            keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
            popularity,
        }
    }

    const PENSIONE: u32 = 0;
    const NASPI: u32 = 1;
    const DISCOLL: u32 = 2;
    const ASSEGNO_UNICO: u32 = 3;
    const BONUS_NIDO: u32 = 4;
    const CONGEDO: u32 = 5;
    const INCLUSIONE: u32 = 6;
    const INVALIDITA: u32 = 7;
    const INVALIDITA_SENZA_ACCENTI: u32 = 8;
    const REVERSIBILITA: u32 = 9;
    const APP_IO: u32 = 10;

    fn catalogue() -> Vec<SearchDoc> {
        vec![
            doc(
                PENSIONE,
                "Pensione di vecchiaia",
                "La pensione per chi ha raggiunto l'età e i contributi previsti dalla legge.",
                "Puoi presentare la domanda online con SPID o CIE, oppure tramite un patronato. \
                 Servono almeno 20 anni di contributi.",
                &["pensione", "vecchiaia", "anzianità"],
                400,
            ),
            doc(
                NASPI,
                "NASpI",
                "Indennità mensile per chi ha perso il lavoro involontariamente.",
                "Spetta ai lavoratori dipendenti che hanno perso il lavoro. La domanda va \
                 presentata entro 68 giorni dalla cessazione del rapporto.",
                &["naspi", "licenziamento"],
                900,
            ),
            doc(
                DISCOLL,
                "DIS-COLL",
                "Indennità per i collaboratori coordinati e continuativi.",
                "È l'indennità di disoccupazione per i collaboratori che hanno perso il lavoro.",
                &["dis-coll", "collaboratori"],
                50,
            ),
            doc(
                ASSEGNO_UNICO,
                "Assegno unico e universale per i figli a carico",
                "Un sostegno economico mensile alle famiglie con figli.",
                "L'assegno spetta dal settimo mese di gravidanza fino ai 21 anni del figlio. \
                 L'importo dipende dall'ISEE.",
                &["assegno unico", "figli", "famiglia"],
                1000,
            ),
            doc(
                BONUS_NIDO,
                "Bonus nido",
                "Un contributo per le rette del nido e per il supporto a casa dei bambini.",
                "Spetta per i figli sotto i tre anni. Allega le ricevute delle rette pagate.",
                &["bonus", "nido"],
                300,
            ),
            doc(
                CONGEDO,
                "Congedo parentale",
                "Un periodo di astensione dal lavoro per i genitori.",
                "Puoi chiederlo anche mentre il figlio frequenta l'asilo nido.",
                &["congedo", "genitori"],
                200,
            ),
            doc(
                INCLUSIONE,
                "Assegno di inclusione",
                "Un sostegno per le famiglie in difficoltà.",
                "Per chi è in stato di disoccupazione e ha un ISEE basso.",
                &["adi"],
                600,
            ),
            doc(
                INVALIDITA,
                "Invalidità civile",
                "Le prestazioni per chi ha una invalidità riconosciuta.",
                "La domanda parte dal certificato medico.",
                &["invalidità"],
                300,
            ),
            doc(
                INVALIDITA_SENZA_ACCENTI,
                "Accertamento sanitario",
                "La visita della commissione medica.",
                "La commissione accerta la invalidita e lo stato di handicap.",
                &[],
                10,
            ),
            doc(
                REVERSIBILITA,
                "Pensione ai superstiti",
                "La pensione di reversibilità per i familiari.",
                "Spetta al coniuge e ai figli.",
                &["reversibilità"],
                100,
            ),
            doc(
                APP_IO,
                "Notifiche sull'App IO",
                "Ricevi i messaggi dell'istituto sull'app IO.",
                "Attiva il servizio dal tuo profilo.",
                &["app io"],
                20,
            ),
        ]
    }

    const SYNONYMS: &str = "# sinonimi della redazione\n\
                            disoccupazione: naspi\n\
                            \n\
                            asilo nido: bonus nido\n";

    static INDEX: LazyLock<SearchIndex> = LazyLock::new(|| {
        let synonyms = Synonyms::parse(SYNONYMS).unwrap();
        SearchIndex::build(&catalogue(), &synonyms).unwrap()
    });

    fn keys(query: &str) -> Vec<u32> {
        INDEX.search(query, 10).into_iter().map(|hit| hit.key).collect()
    }

    fn first(query: &str) -> Option<u32> {
        keys(query).first().copied()
    }

    #[test]
    fn the_index_can_be_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<SearchIndex>();
        let index = Arc::new(SearchIndex::build(&catalogue(), &Synonyms::default()).unwrap());
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let index = Arc::clone(&index);
                std::thread::spawn(move || index.search("pensione", 5).first().map(|hit| hit.key))
            })
            .collect();
        for thread in threads {
            assert_eq!(thread.join().unwrap(), Some(PENSIONE));
        }
        assert_eq!(index.len(), catalogue().len());
    }

    #[test]
    fn accents_are_folded_both_ways() {
        assert_eq!(analyze("invalidità"), analyze("invalidita"));
        assert_eq!(analyze("Invalidità"), analyze("INVALIDITA"));
        assert_eq!(analyze("perché"), analyze("perche"));
        // decomposed accent (e + U+0300), as some keyboards and pastes produce
        assert_eq!(analyze("invalidita\u{300}"), analyze("invalidità"));
        let with_accent = keys("invalidità");
        let without = keys("invalidita");
        assert_eq!(with_accent, without);
        assert!(with_accent.contains(&INVALIDITA), "{with_accent:?}");
        assert!(with_accent.contains(&INVALIDITA_SENZA_ACCENTI), "{with_accent:?}");
        assert_eq!(first("reversibilita"), Some(REVERSIBILITA));
    }

    #[test]
    fn stop_words_go_but_words_we_need_stay() {
        assert!(analyze("il lo la di da in con su per tra e perché più è").is_empty());
        assert_eq!(analyze("App IO"), vec!["app".to_owned(), "io".to_owned()]);
        assert_eq!(analyze("SIA").len(), 1);
        assert_eq!(first("io"), Some(APP_IO));
    }

    #[test]
    fn italian_stemming_joins_singular_and_plural() {
        assert_eq!(analyze("pensioni"), analyze("pensione"));
        assert_eq!(analyze("domande"), analyze("domanda"));
        assert_eq!(analyze("figli"), analyze("figlio"));
        assert_eq!(first("pensioni vecchiaia"), Some(PENSIONE));
        assert_eq!(keys("domande"), keys("domanda"));
    }

    #[test]
    fn typos_still_find_the_right_card() {
        assert_eq!(first("pensone"), Some(PENSIONE));
        assert_eq!(first("asegno unico"), Some(ASSEGNO_UNICO));
        let found = keys("dissoccupazione");
        assert!(found.contains(&DISCOLL), "{found:?}");
        assert!(found.contains(&INCLUSIONE), "{found:?}");
        // no fuzziness under 5 characters: "nodi" is not "nido"
        assert!(keys("nodi").is_empty());
    }

    #[test]
    fn an_exact_word_beats_a_near_spelling() {
        // "permesso" and "premesso" are one transposition apart and stem differently.
        assert_ne!(analyze("permesso"), analyze("premesso"));
        let docs = vec![
            doc(0, "Premesso", "", "", &[], 1_000_000),
            doc(1, "Permesso di soggiorno", "", "", &[], 0),
        ];
        let index = SearchIndex::build(&docs, &Synonyms::default()).unwrap();
        let hits = index.search("permesso", 10);
        assert_eq!(
            hits.iter().map(|hit| hit.key).collect::<Vec<_>>(),
            vec![1, 0],
            "{hits:?}"
        );
        // and the other way round
        let hits = index.search("premesso", 10);
        assert_eq!(
            hits.iter().map(|hit| hit.key).collect::<Vec<_>>(),
            vec![0, 1],
            "{hits:?}"
        );
    }

    #[test]
    fn a_single_word_synonym_brings_the_naspi_card_first() {
        let found = keys("disoccupazione");
        assert_eq!(found.first(), Some(&NASPI), "{found:?}");
        assert!(
            found.contains(&DISCOLL) && found.contains(&INCLUSIONE),
            "{found:?}"
        );
        let plain = SearchIndex::build(&catalogue(), &Synonyms::default()).unwrap();
        let without: Vec<u32> = plain
            .search("disoccupazione", 10)
            .iter()
            .map(|hit| hit.key)
            .collect();
        assert!(!without.contains(&NASPI), "the card lacks the word: {without:?}");
        // one way only: "naspi" does not look for "disoccupazione"
        assert_eq!(keys("naspi"), vec![NASPI]);
        // and swapping the synonyms needs no re-indexing
        let swapped = plain.with_synonyms(&Synonyms::parse("disoccupazione: naspi").unwrap());
        assert_eq!(
            swapped.search("disoccupazione", 10).first().map(|hit| hit.key),
            Some(NASPI)
        );
    }

    #[test]
    fn a_phrase_synonym_matches_consecutive_words() {
        assert_eq!(first("asilo nido"), Some(BONUS_NIDO));
        assert_eq!(first("domanda per asilo nido"), Some(BONUS_NIDO));
        let plain = SearchIndex::build(&catalogue(), &Synonyms::default()).unwrap();
        let without = plain.search("asilo nido", 10);
        assert_eq!(without.first().map(|hit| hit.key), Some(CONGEDO), "{without:?}");
        // the words apart are not the phrase: "nido asilo" gets no synonym
        let apart = keys("nido asilo");
        assert_eq!(apart.first(), Some(&CONGEDO), "{apart:?}");
    }

    #[test]
    fn pages_with_more_of_the_words_rank_higher() {
        let docs = vec![
            doc(
                0,
                "Rimborso",
                "Rimborso rimborso",
                "rimborso rimborso rimborso",
                &["rimborso"],
                1000,
            ),
            doc(
                1,
                "Cure all'estero",
                "",
                "Il rimborso delle spese sanitarie sostenute.",
                &[],
                0,
            ),
            doc(2, "Ticket", "Spese sanitarie", "", &[], 0),
        ];
        let index = SearchIndex::build(&docs, &Synonyms::default()).unwrap();
        let hits: Vec<u32> = index
            .search("rimborso sanitario", 10)
            .iter()
            .map(|hit| hit.key)
            .collect();
        assert_eq!(hits.first(), Some(&1), "{hits:?}");
        assert_eq!(hits.len(), 3, "the others match one word each: {hits:?}");
        assert!(index.search("spaziale interstellare", 10).is_empty());
        // one word that matches nothing does not hide the others
        let partial: Vec<u32> = index
            .search("rimborso zzzxq", 10)
            .iter()
            .map(|hit| hit.key)
            .collect();
        assert_eq!(partial.first(), Some(&0), "{partial:?}");
    }

    #[test]
    fn between_equals_the_more_used_page_wins() {
        let docs = vec![
            doc(0, "Certificato di pensione", "Il modello ObisM.", "", &[], 3),
            doc(1, "Certificato di pensione", "Il modello ObisM.", "", &[], 300),
        ];
        let index = SearchIndex::build(&docs, &Synonyms::default()).unwrap();
        let hits = index.search("certificato pensione", 10);
        assert_eq!(hits.iter().map(|hit| hit.key).collect::<Vec<_>>(), vec![1, 0]);
        assert!(hits[0].score > hits[1].score);
        assert!(popularity_factor(0) == 1.0 && popularity_factor(u64::MAX) == 1.5);
        assert!((popularity_factor(1000) - 1.5).abs() < 1e-6);
    }

    #[test]
    fn a_much_more_relevant_page_beats_a_popular_one() {
        let docs = vec![
            doc(
                0,
                "Guida ai servizi",
                "Tutti i servizi dell'istituto in un solo posto.",
                "Pagamenti, certificati, prestazioni per la famiglia, lavoro, salute, \
                 disabilità e molto altro, con le istruzioni passo per passo.",
                &[],
                1_000_000,
            ),
            doc(
                1,
                "Carta europea della disabilità",
                "La Disability Card.",
                "",
                &["disabilità"],
                0,
            ),
        ];
        let index = SearchIndex::build(&docs, &Synonyms::default()).unwrap();
        let hits = index.search("disabilita", 10);
        assert_eq!(hits.iter().map(|hit| hit.key).collect::<Vec<_>>(), vec![1, 0]);
    }

    #[test]
    fn odd_queries_are_just_words() {
        let long_words = "pensione ".repeat(1200);
        let long_junk: String = (0..10_240).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
        let queries = [
            "",
            "   ",
            "\t\n\r",
            long_words.as_str(),
            long_junk.as_str(),
            "e\u{301}\u{301}\u{301}\u{301} a\u{308}",
            "مرحبا بالعالم \u{202e}pensione\u{202c}",
            "👨‍👩‍👧 🏳️‍🌈 💶",
            "\0pensione\0",
            "+pensione -naspi \"assegno\" (unico) title:foo * ~2 ^3 AND OR NOT",
            "[]{}!\\/?<>|&&||",
            "AND",
            "\u{feff}\u{200b}\u{fffd}\u{10ffff}",
        ];
        for query in queries {
            let hits = INDEX.search(query, 10);
            assert!(hits.len() <= 10);
            assert!(hits.iter().all(|hit| hit.key <= APP_IO));
            let _ = INDEX.suggest(query, 10);
        }
        assert_eq!(first("\0pensione\0"), Some(PENSIONE));
        assert_eq!(first("+pensione -vecchiaia"), Some(PENSIONE));
        assert_eq!(first(&long_words), Some(PENSIONE));
        assert!(keys("").is_empty() && keys("   ").is_empty());
        assert!(INDEX.search("pensione", 0).is_empty());
    }

    #[test]
    fn an_empty_catalogue_finds_nothing() {
        let index = SearchIndex::build(&[], &Synonyms::parse(SYNONYMS).unwrap()).unwrap();
        assert!(index.is_empty());
        assert!(index.search("disoccupazione pensone", 10).is_empty());
        assert!(index.suggest("pens", 10).is_empty());
    }

    #[test]
    fn the_limit_is_capped_at_one_hundred() {
        let docs: Vec<SearchDoc> = (0..150)
            .map(|key| doc(key, "Pensione", "", "", &[], key))
            .collect();
        let index = SearchIndex::build(&docs, &Synonyms::default()).unwrap();
        let hits = index.search("pensione", 1000);
        assert_eq!(hits.len(), 100);
        assert_eq!(hits[0].key, 149, "most used first among equals");
        assert_eq!(index.suggest("pen", 1000).len(), 100);
    }

    #[test]
    fn suggestions_complete_the_last_word_most_used_first() {
        assert_eq!(INDEX.suggest("pens", 10), vec![PENSIONE, REVERSIBILITA]);
        assert_eq!(INDEX.suggest("Pensione sup", 10), vec![REVERSIBILITA]);
        assert_eq!(INDEX.suggest("assegno u", 10), vec![ASSEGNO_UNICO]);
        assert_eq!(INDEX.suggest("assegni", 10), vec![ASSEGNO_UNICO, INCLUSIONE]);
        assert_eq!(INDEX.suggest("invalidità ci", 10), vec![INVALIDITA]);
        assert_eq!(INDEX.suggest("pens", 1), vec![PENSIONE]);
        assert!(INDEX.suggest("", 10).is_empty());
        assert!(INDEX.suggest("zzz", 10).is_empty());
        assert_eq!(INDEX.suggest("vecchiaia pens", 10), vec![PENSIONE]);
        assert!(INDEX.suggest("naspi pens", 10).is_empty());
    }

    #[test]
    fn synonym_errors_name_the_line() {
        let error = |text: &str| Synonyms::parse(text).unwrap_err();
        assert_eq!(error("naspi: disoccupazione\n\nsenza due punti\n").line, 3);
        assert_eq!(
            error("naspi: disoccupazione\n\nsenza due punti\n").reason,
            "missing ':' between the term and its alternatives"
        );
        assert_eq!(error(": naspi").reason, "empty term before ':'");
        assert_eq!(error("# nota\nnaspi:").line, 2);
        assert_eq!(error("naspi: , ,").reason, "no alternatives after ':'");
        assert_eq!(error("di: naspi").reason, "the term has no searchable word");
        assert_eq!(
            error("naspi: di, il").reason,
            "an alternative has no searchable word"
        );
        let long = format!("naspi: {}", "a".repeat(494));
        assert_eq!(error(&long).reason, "line longer than 500 characters");
        let base = format!("naspi: {}", "parola ".repeat(70).trim_end());
        assert!(Synonyms::parse(&format!("{base}aaaa")).is_ok());
        assert_eq!(
            error(&format!("{base}aaaaa")).reason,
            "line longer than 500 characters"
        );
        let many = "naspi: disoccupazione\n".repeat(2001);
        assert_eq!(error(&many).line, 2001);
        assert_eq!(Synonyms::parse(&"# x\n".repeat(2000)).unwrap().len(), 0);
        assert_eq!(
            error("naspi\n").to_string(),
            "line 1: missing ':' between the term and its alternatives"
        );
    }

    #[test]
    fn synonyms_have_a_canonical_text() {
        let synonyms =
            Synonyms::parse("  asilo   nido :bonus  nido,, nido \n# c\n\ndisoccupazione:naspi").unwrap();
        assert_eq!(
            synonyms.to_text(),
            "asilo nido: bonus nido, nido\ndisoccupazione: naspi\n"
        );
        assert_eq!(synonyms.len(), 2);
        let entries: Vec<(&str, &[String])> = synonyms.entries().collect();
        assert_eq!(entries[1].0, "disoccupazione");
        assert_eq!(Synonyms::parse(&synonyms.to_text()).unwrap(), synonyms);
    }

    fn synonym_text() -> impl Strategy<Value = String> {
        let word = prop_oneof![
            Just("naspi".to_owned()),
            Just("asilo".to_owned()),
            Just("nido".to_owned()),
            Just("dis-coll".to_owned()),
            Just("di".to_owned()),
            "[a-zàèéìòù]{1,12}",
            ".{0,6}",
        ];
        let space = prop_oneof![Just(" "), Just("  "), Just("\t"), Just("")];
        let line = prop_oneof![
            (
                prop::collection::vec(word.clone(), 1..3),
                space.clone(),
                prop::collection::vec(word, 0..4)
            )
                .prop_map(|(term, space, alternatives)| {
                    format!("{}{space}:{space}{}", term.join(" "), alternatives.join(","))
                }),
            Just(String::new()),
            Just("# commento".to_owned()),
            ".{0,40}",
        ];
        prop::collection::vec(line, 0..12).prop_map(|lines| lines.join("\n"))
    }

    proptest! {
        #[test]
        fn any_query_returns_valid_hits(query in ".{0,300}", limit in 0usize..150) {
            let hits = INDEX.search(&query, limit);
            prop_assert!(hits.len() <= limit.min(100));
            let mut seen = HashSet::new();
            for hit in &hits {
                prop_assert!(hit.key <= APP_IO);
                prop_assert!(seen.insert(hit.key), "duplicate key {}", hit.key);
                prop_assert!(hit.score.is_finite());
            }
            let suggestions = INDEX.suggest(&query, limit);
            prop_assert!(suggestions.len() <= limit.min(100));
        }

        #[test]
        fn any_chars_never_panic(chars in prop::collection::vec(any::<char>(), 0..200)) {
            let query: String = chars.into_iter().collect();
            prop_assert!(INDEX.search(&query, 10).len() <= 10);
            prop_assert!(INDEX.suggest(&query, 10).len() <= 10);
            let _ = analyze(&query);
        }

        #[test]
        fn synonyms_round_trip(text in synonym_text()) {
            if let Ok(synonyms) = Synonyms::parse(&text) {
                let canonical = synonyms.to_text();
                prop_assert_eq!(Synonyms::parse(&canonical), Ok(synonyms.clone()));
                prop_assert_eq!(Synonyms::parse(&canonical).map(|s| s.to_text()), Ok(canonical));
            }
        }
    }
}
