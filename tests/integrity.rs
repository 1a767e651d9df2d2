//! What pq reads from disk is validated: a corrupt stop file or journal gives one `error:` line and exit 3
//! (never a panic), a SHA-256 repository is refused on open, and files written by earlier versions (hex ids
//! in TOML) still load.

mod common;

use common::*;

/// `main` carries a local change to `src/a.c` that conflicts with the upstream commit on `up`.
fn stopped() -> TestRepo {
    let r = TestRepo::new();
    r.write("src/a.c", "a1\na2\na3\n");
    r.commit("base");
    r.git(&["tag", "base"]);
    r.git(&["checkout", "-q", "-b", "up"]);
    r.write("src/a.c", "a1\nUP\na3\n");
    r.commit("up: a");
    r.git(&["checkout", "-q", "main"]);
    r.write("src/a.c", "a1\nOURS\na3\n");
    r.commit("local: a");
    r.pq_ok(&["init", "--base", "base"]);
    r.pq_expect(&["backport", "base..up", "src"], 1);
    r
}

fn stop_file(r: &TestRepo) -> std::path::PathBuf {
    r.git_dir().join("pq/op/state.json")
}

#[test]
fn a_corrupt_stop_file_is_one_error_line_and_exit_3() {
    let r = stopped();
    let good = std::fs::read_to_string(stop_file(&r)).unwrap();
    let json: serde_json::Value = serde_json::from_str(&good).expect("the stop file is JSON");
    let source = json["todo"][0]["source"]
        .as_str()
        .expect("the stop file names the stopped step's source")
        .to_string();
    let corruptions = [
        ("not json", "{ this is [not json\n".to_string()),
        ("not toml either", "this is [not toml\n".to_string()),
        ("a short id", good.replace(&source, &source[..12])),
        ("a non-hex id", good.replace(&source, &"z".repeat(40))),
        (
            "a non-ASCII id",
            good.replace(&source, &format!("{}\u{fffd}{}", &source[..11], &source[12..39])),
        ),
        ("no steps", {
            let mut v = json.clone();
            v["todo"] = serde_json::json!([]);
            v.to_string()
        }),
    ];
    for (what, text) in corruptions {
        assert_ne!(text, good, "{what}: the corruption changed nothing");
        std::fs::write(stop_file(&r), &text).unwrap();
        for cmd in ["continue", "skip", "abort", "status"] {
            let err = assert_fails(&r.pq(&[cmd]), 3);
            assert!(err.contains("stopped operation"), "{what}, pq {cmd}: {err}");
        }
    }
    // Put back, the operation can still be aborted.
    std::fs::write(stop_file(&r), &good).unwrap();
    r.pq_ok(&["abort"]);
    r.fsck();
}

/// An operation stopped by an earlier pq, whose stop file was TOML (`state.toml`), is resumed: `pq skip`
/// reads it and writes the JSON file in its place.
#[test]
fn a_stop_file_written_as_toml_is_still_resumed() {
    let r = stopped();
    let json = std::fs::read_to_string(stop_file(&r)).unwrap();
    let file: pq::sequencer::record::StopFile = serde_json::from_str(&json).unwrap();
    let old = r.git_dir().join("pq/op/state.toml");
    std::fs::write(&old, toml::to_string(&file).unwrap()).unwrap();
    std::fs::remove_file(stop_file(&r)).unwrap();
    let status = r.pq_ok(&["status"]);
    assert!(status.contains("stopped"), "{status}");
    r.pq_ok(&["skip"]);
    assert!(!old.exists(), "the TOML file is replaced");
    assert!(!stop_file(&r).exists(), "nothing else stopped");
    r.fsck();
}

#[test]
fn a_corrupt_journal_is_one_error_line_and_exit_3() {
    let r = stopped();
    r.pq_ok(&["abort"]);
    let journal = r.git_dir().join("pq/materialise.toml");
    std::fs::write(&journal, "command = \"pq backport\"\nfrom_tree = \"nope\"\n").unwrap();
    for cmd in [
        vec!["continue"],
        vec!["abort"],
        vec!["status"],
        vec!["backport", "base..up", "src"],
    ] {
        let err = assert_fails(&r.pq(&cmd), 3);
        assert!(err.contains("journal"), "pq {}: {err}", cmd.join(" "));
    }
}

#[test]
fn the_stop_file_is_versioned_keeps_hex_ids_and_resumes() {
    // Hex ids as JSON strings, as the TOML file earlier versions wrote held them.
    let r = stopped();
    let text = std::fs::read_to_string(stop_file(&r)).unwrap();
    let head = r.rev("HEAD");
    assert!(text.contains(&format!("\"tip\": \"{head}\"")), "{text}");
    // Its own versioned format: a newer schema is refused, and a file from before the schema field (what
    // earlier pq wrote) still resumes.
    assert!(text.starts_with("{\n  \"schema\": 1,\n"), "{text}");
    std::fs::write(stop_file(&r), text.replacen("\"schema\": 1", "\"schema\": 2", 1)).unwrap();
    let err = assert_fails(&r.pq(&["continue"]), 3);
    assert!(err.contains("newer than this pq"), "{err}");
    std::fs::write(stop_file(&r), text.replacen("\"schema\": 1,\n", "", 1)).unwrap();
    let status = r.pq_json(&["status"], 0);
    assert_eq!(status["stopped"]["operation"], "backport", "{status}");
    r.write("src/a.c", "a1\nRESOLVED\na3\n");
    r.git(&["add", "src/a.c"]);
    r.pq_ok(&["continue"]);
    r.fsck();
}

#[test]
fn a_sha256_repository_is_refused_on_open() {
    let r = TestRepo::new();
    let dir = r.path("../sha256");
    git_in(
        r.home(),
        dir.parent().unwrap(),
        &["init", "-q", "--object-format=sha256", "sha256"],
    );
    for args in [vec!["status"], vec!["init", "--base", "HEAD"]] {
        let out = r.pq_in(&dir, &args);
        let err = assert_refused(&out);
        assert!(err.contains("SHA-256"), "{err}");
    }
}
