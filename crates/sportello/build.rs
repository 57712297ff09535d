//! Embeds every file under `assets/` into the binary, with a content hash for its URL, so
//! the binary is the whole deployment and browsers can cache assets for a year.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default()).join("assets");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    files.sort();
    // One version for all assets, not one per file: CSS refers to fonts by relative URL,
    // so every asset must sit under the same versioned prefix.
    let mut version: u64 = 0xcbf2_9ce4_8422_2325;
    let mut out =
        String::from("/// (path under assets/, content)\npub static ASSETS: &[(&str, &[u8])] = &[\n");
    for (relative, absolute) in &files {
        println!("cargo:rerun-if-changed={}", absolute.display());
        let bytes = std::fs::read(absolute).unwrap_or_default();
        version = fnv1a(version, relative.as_bytes());
        version = fnv1a(version, &bytes);
        let _ = writeln!(
            out,
            "    ({relative:?}, include_bytes!({:?})),",
            absolute.display().to_string()
        );
    }
    out.push_str("];\n");
    let _ = writeln!(
        out,
        "/// Hash of every asset's path and content.\npub const VERSION: &str = \"{version:016x}\";"
    );
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("assets.rs");
    if let Err(err) = std::fs::write(&dest, out) {
        println!("cargo:warning=cannot write {}: {err}", dest.display());
    }
    embed_catalog();
    embed_forms();
}

/// Embeds the built-in application forms (`data/domande/*.toml`) as an array expression of
/// `(file name, content)`.
fn embed_forms() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default()).join("data/domande");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    files.retain(|(relative, _)| relative.ends_with(".toml") && !relative.contains('/'));
    files.sort();
    let mut out = String::from("[\n");
    for (relative, absolute) in &files {
        println!("cargo:rerun-if-changed={}", absolute.display());
        let _ = writeln!(
            out,
            "    ({relative:?}, include_str!({:?})),",
            absolute.display().to_string()
        );
    }
    out.push_str("]\n");
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("form_files.rs");
    if let Err(err) = std::fs::write(&dest, out) {
        println!("cargo:warning=cannot write {}: {err}", dest.display());
    }
}

/// Embeds the demo catalogue (`data/catalog/<section>/<slug>.toml`), so `serve --demo` has
/// its pages wherever the binary runs.
fn embed_catalog() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default()).join("data/catalog");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    files.retain(|(relative, _)| relative.ends_with(".toml"));
    files.sort();
    let mut out =
        String::from("/// (section/slug.toml, content)\npub static CATALOG_FILES: &[(&str, &str)] = &[\n");
    for (relative, absolute) in &files {
        println!("cargo:rerun-if-changed={}", absolute.display());
        let _ = writeln!(
            out,
            "    ({relative:?}, include_str!({:?})),",
            absolute.display().to_string()
        );
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("catalog_files.rs");
    if let Err(err) = std::fs::write(&dest, out) {
        println!("cargo:warning=cannot write {}: {err}", dest.display());
    }
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if path.extension().is_some_and(|e| e != "md")
            && let Ok(relative) = path.strip_prefix(root)
        {
            files.push((relative.to_string_lossy().replace('\\', "/"), path));
        }
    }
}

/// FNV-1a, 64 bit, continued from `hash`: enough to tell versions apart in a URL.
fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
