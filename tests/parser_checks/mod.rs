//! What every parser must survive, one function per input kind: shared by the time-boxed mutation fuzzer
//! (`tests/fuzz_parsers.rs`, in CI) and the coverage-guided `cargo fuzz` targets (`fuzz/`, run by hand), so
//! both check the same properties over the same corpus (`fixtures/corpus/<kind>/`). Each function panics
//! only on a bug: a parse error is a fine answer to bad input.

use pq::model::config::Config;
use pq::model::provenance;
use pq::model::state::State;
use pq::packaging::changelog::{parse_debian_changelog_top, parse_spec_changelog_top, parse_trailers};
use pq::packaging::kversion::KernelVersion;
use pq::packaging::nvr::{Nvr, ReleaseParts};
use pq::packaging::rpmvercmp::rpmvercmp;
use pq::packaging::spec::Spec;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `refs/pq/state/*`'s state.toml: whatever parses survives a round trip.
pub fn state(b: &[u8]) {
    if let Ok(s) = State::parse(&text(b)) {
        assert_eq!(State::parse(&s.to_toml()).expect("round trip"), s);
    }
}

/// The stopped operation's file (`.git/pq/op/state.json`): parsed and validated, or one corrupt-data
/// error; what parses names a stopped step.
pub fn stop_file(b: &[u8]) {
    match pq::sequencer::parse(&text(b)) {
        Ok(s) => assert!(!s.todo.is_empty()),
        Err(e) => assert_eq!(e.exit_code(), 3, "{}", e.message),
    }
}

/// A patch file or mbox as `pq import` reads it: headers, message, provenance, and the diff, whose every
/// path stays inside the tree.
pub fn patch(b: &[u8]) {
    for (line, part) in pq::interop::patchfile::split_mbox(b) {
        let Ok(p) = pq::interop::patchfile::parse("p", part, line) else {
            continue;
        };
        let _ = p.message();
        let _ = pq::interop::import::origin_and_via(&p);
        if let Ok(files) = pq::interop::apply::parse_diff("p", &p.diff, p.diff_line) {
            for f in &files {
                for path in [&f.old_path, &f.new_path].into_iter().flatten() {
                    assert!(
                        !path.starts_with(b"/")
                            && !path
                                .split(|c| *c == b'/')
                                .any(|c| c.is_empty() || c == b"." || c == b".." || c == b".git"),
                        "unsafe path {path:?} accepted"
                    );
                }
            }
        }
    }
}

/// `.pq.toml`-style configuration.
pub fn config(b: &[u8]) {
    let _ = Config::default().overlay(&text(b));
}

/// Commit messages: provenance lines and trailers. Ids come out typed: whatever the message, parsing
/// yields valid ids or nothing; an annotated message names its upstream.
pub fn message(b: &[u8]) {
    let t = text(b);
    let _ = provenance::parse(&t);
    let upstream = pq::git::id::parse("0123456789abcdef0123456789abcdef01234567").unwrap();
    let _ = provenance::add_conflicts(&t, &["a/b.c".into()]);
    let _ = parse_trailers(&t);
    for style in ["x", "rhel", "suse", "stable"] {
        let style = style.parse().unwrap();
        let out = provenance::annotate(&t, &upstream, style, Some("v6.8"));
        assert!(provenance::parse(&out).iter().any(|p| p.commit == upstream));
    }
}

/// RPM spec files: macros, tags, the changelog, and the edits a release makes.
pub fn spec(b: &[u8]) {
    let t = text(b);
    let mut spec = Spec::new("kernel.spec", t.clone());
    let _ = spec.macros();
    let _ = spec.tags();
    let _ = spec.macro_value("baserelease");
    let _ = spec.changelog_location();
    let _ = spec.set_macro("baserelease", "301");
    let _ = spec.insert_changelog_entry("* Mon Jan 01 2024 A <a@b> [6.7.1-0]\n- x (A)\n");
    let _ = parse_spec_changelog_top("kernel.spec", &t);
}

pub fn debian_changelog(b: &[u8]) {
    let _ = parse_debian_changelog_top("debian/changelog", &text(b));
}

/// The kernel Makefile's VERSION lines.
pub fn makefile(b: &[u8]) {
    let _ = KernelVersion::from_makefile("Makefile", &text(b));
}

/// NVRs, release strings and tags, one per line; rpmvercmp is antisymmetric on anything.
pub fn nvr(b: &[u8]) {
    let t = text(b);
    for line in t.lines() {
        let _ = Nvr::parse(line);
        let _ = ReleaseParts::parse(line);
        let _ = KernelVersion::from_tag(line);
        let other = line.chars().rev().collect::<String>();
        assert_eq!(rpmvercmp(line, &other), rpmvercmp(&other, line).reverse());
    }
}

/// Files with conflict markers, as rerere reads them.
pub fn conflict(b: &[u8]) {
    let _ = pq::engine::rerere::conflict_id(b);
}
