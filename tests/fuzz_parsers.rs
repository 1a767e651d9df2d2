//! Time-boxed mutation fuzzing of every parser pq has, seeded from `fixtures/corpus/<target>/`.
//!
//! Each target gets `PQ_FUZZ_SECONDS` seconds (default 1, so CI stays quick; run
//! `PQ_FUZZ_SECONDS=600 cargo test --release --test fuzz_parsers -- --nocapture --test-threads 1` for the
//! long runs). Inputs are corpus files mutated by byte flips, insertions, deletions, splices and
//! line duplication; any panic fails the test and prints the input (hex) that caused it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::{Duration, Instant};

use pq::model::config::Config;
use pq::model::provenance;
use pq::model::state::State;
use pq::packaging::changelog::{parse_debian_changelog_top, parse_spec_changelog_top, parse_trailers};
use pq::packaging::kversion::KernelVersion;
use pq::packaging::nvr::{Nvr, ReleaseParts};
use pq::packaging::rpmvercmp::rpmvercmp;
use pq::packaging::spec::Spec;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const INTERESTING: &[&[u8]] = &[
    b"\n",
    b"\r\n",
    b"%",
    b"%%",
    b"%changelog\n",
    b"* ",
    b"[",
    b"]",
    b"=",
    b"\"",
    b"'",
    b"\0",
    b"\xff\xfe",
    b"\xc3\xa9",
    b"<<<<<<< ",
    b"=======\n",
    b">>>>>>> ",
    b"schema = 2\n",
    b"-rc",
    b"~",
    b"^",
    b".el9",
    b"::",
    b"commit ",
    b"(cherry picked from commit ",
    b"0123456789abcdef0123456789abcdef01234567",
    b"%define ",
    b"%global ",
    b"VERSION = ",
    b"urgency=",
    b" -- ",
    b"[[patches]]\n",
    b"{",
    b"}",
    b"\t",
];

fn mutate(rng: &mut Rng, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        match rng.below(7) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(v.len() + 1);
                let ins = INTERESTING[rng.below(INTERESTING.len())];
                v.splice(i..i, ins.iter().copied());
            }
            2 if !v.is_empty() => {
                let i = rng.below(v.len());
                let n = rng.below((v.len() - i).min(64)) + 1;
                v.drain(i..i + n);
            }
            3 => {
                let other = &corpus[rng.below(corpus.len())];
                if !other.is_empty() {
                    let a = rng.below(other.len());
                    let b = a + rng.below(other.len() - a) + 1;
                    let i = rng.below(v.len() + 1);
                    v.splice(i..i, other[a..b].iter().copied());
                }
            }
            4 if !v.is_empty() => {
                // Duplicate a line.
                let lines: Vec<&[u8]> = v.split_inclusive(|b| *b == b'\n').collect();
                let l = lines[rng.below(lines.len())].to_vec();
                let i = rng.below(v.len() + 1);
                v.splice(i..i, l);
            }
            5 if !v.is_empty() => {
                let i = rng.below(v.len());
                v.truncate(i);
            }
            _ => {
                let i = rng.below(v.len() + 1);
                v.insert(i, rng.next() as u8);
            }
        }
    }
    v
}

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/corpus")
        .join(target);
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    out.sort();
    out.push(Vec::new());
    out
}

fn fuzz(target: &str, f: impl Fn(&[u8])) {
    let secs: f64 = std::env::var("PQ_FUZZ_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0);
    let seeds = corpus(target);
    let mut rng = Rng(0x9e3779b97f4a7c15 ^ target.len() as u64);
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut runs = 0u64;
    for s in &seeds {
        f(s);
    }
    let mut current = seeds[0].clone();
    while Instant::now() < deadline {
        for _ in 0..64 {
            let input = mutate(&mut rng, &current, &seeds);
            let result = catch_unwind(AssertUnwindSafe(|| f(&input)));
            if result.is_err() {
                let hex: String = input.iter().map(|b| format!("{b:02x}")).collect();
                panic!("{target}: parser panicked on input (hex) {hex}");
            }
            runs += 1;
            // Walk away from the seed now and then so mutations compound.
            if rng.below(8) == 0 {
                current = if rng.below(4) == 0 {
                    seeds[rng.below(seeds.len())].clone()
                } else {
                    input
                };
            }
        }
    }
    eprintln!("fuzz {target}: {runs} inputs in {secs} s, no panic");
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn state_file() {
    fuzz("state", |b| {
        if let Ok(s) = State::parse(&text(b)) {
            // Whatever parses must survive a round trip.
            assert_eq!(State::parse(&s.to_toml()).expect("round trip"), s);
        }
    });
}

#[test]
fn config_file() {
    fuzz("config", |b| {
        let _ = Config::default().overlay(&text(b));
    });
}

#[test]
fn provenance_and_trailers() {
    fuzz("message", |b| {
        let t = text(b);
        // Ids come out typed: whatever the message, parsing yields valid ids or nothing.
        let _ = provenance::parse(&t);
        let upstream = pq::git::id::parse("0123456789abcdef0123456789abcdef01234567").unwrap();
        let _ = provenance::add_conflicts(&t, &["a/b.c".into()]);
        let _ = parse_trailers(&t);
        for style in ["x", "rhel", "suse", "stable"] {
            let style = style.parse().unwrap();
            let out = provenance::annotate(&t, &upstream, style, Some("v6.8"));
            assert!(provenance::parse(&out).iter().any(|p| p.commit == upstream));
        }
    });
}

#[test]
fn spec_file() {
    fuzz("spec", |b| {
        let t = text(b);
        let mut spec = Spec::new("kernel.spec", t.clone());
        let _ = spec.macros();
        let _ = spec.tags();
        let _ = spec.macro_value("baserelease");
        let _ = spec.changelog_location();
        let _ = spec.set_macro("baserelease", "301");
        let _ = spec.insert_changelog_entry("* Mon Jan 01 2024 A <a@b> [6.7.1-0]\n- x (A)\n");
        let _ = parse_spec_changelog_top("kernel.spec", &t);
    });
}

#[test]
fn debian_changelog() {
    fuzz("debian-changelog", |b| {
        let _ = parse_debian_changelog_top("debian/changelog", &text(b));
    });
}

#[test]
fn makefile_version() {
    fuzz("makefile", |b| {
        let _ = KernelVersion::from_makefile("Makefile", &text(b));
    });
}

#[test]
fn nvr_and_vercmp() {
    fuzz("nvr", |b| {
        let t = text(b);
        for line in t.lines() {
            let _ = Nvr::parse(line);
            let _ = ReleaseParts::parse(line);
            let _ = KernelVersion::from_tag(line);
            // rpmvercmp must be antisymmetric on anything.
            let other = line.chars().rev().collect::<String>();
            assert_eq!(rpmvercmp(line, &other), rpmvercmp(&other, line).reverse());
        }
    });
}

#[test]
fn conflict_markers() {
    fuzz("conflict", |b| {
        let _ = pq::engine::rerere::conflict_id(b);
    });
}
