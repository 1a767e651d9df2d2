//! Every `--format json` output, pinned: a snapshot per command and outcome, on the kernel fixture, with
//! commit ids, times and temporary paths redacted. A change to one of these is a change to what CI consumers
//! read: it keeps the `schema` number only if it adds fields (book/src/json.md). `pq fixes` with findings
//! and `pq srpm` are pinned where their fixtures are (`tests/upstream_fixes.rs`, `tests/release_sourcegit.rs`).

mod common;

use common::*;

/// `pq ARGS --format json`, exiting `code`, as printed.
fn json(r: &TestRepo, args: &[&str], code: i32) -> String {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    let out = r.pq_expect(&a, code);
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("pq {} printed invalid JSON ({e}):\n{out}", a.join(" ")));
    assert!(
        v["schema"].as_u64().is_some(),
        "pq {}: no schema number:\n{out}",
        a.join(" ")
    );
    out
}

#[test]
fn every_json_output() {
    let (r, fx) = TestRepo::kernel();
    let _guard = json_settings(&r).bind_to_scope();
    let clean = fx.clean_backport_path.as_str();

    // Adopting the branch, and reading it.
    insta::assert_snapshot!("init", json(&r, &["init", "--base", "v6.7.1"], 0));
    insta::assert_snapshot!("status", json(&r, &["status"], 0));
    insta::assert_snapshot!("series", json(&r, &["series"], 0));
    insta::assert_snapshot!("series_show", json(&r, &["series", "show", "local"], 0));

    // Backports: planned, done, undone, stopped, skipped past, aborted.
    insta::assert_snapshot!(
        "backport_dry_run",
        json(&r, &["backport", "v6.7..v6.8", "lib/zstd", "--dry-run"], 0)
    );
    insta::assert_snapshot!("backport", json(&r, &["backport", "v6.7..v6.8", clean], 0));
    insta::assert_snapshot!("log", json(&r, &["log", "-n", "2"], 0));
    insta::assert_snapshot!("undo", json(&r, &["undo"], 0));
    insta::assert_snapshot!("backport_stop", json(&r, &["backport", "v6.7..v6.8", "lib/zstd"], 1));
    insta::assert_snapshot!("status_stopped", json(&r, &["status"], 0));
    insta::assert_snapshot!("abort", json(&r, &["abort"], 0));
    json(&r, &["backport", "v6.7..v6.8", "lib/zstd"], 1);
    let skip = r.pq(&["skip", "--format", "json"]);
    insta::assert_snapshot!("skip", String::from_utf8_lossy(&skip.stdout));
    if skip.status.code() == Some(1) {
        r.pq_ok(&["abort"]);
    } else {
        r.pq_ok(&["undo"]);
    }

    // Queue edits, and a stop to edit a patch.
    insta::assert_snapshot!("drop", json(&r, &["drop", "local:1"], 0));
    insta::assert_snapshot!(
        "move",
        json(&r, &["move", "local:3", "--to", "local", "--before", "local:1"], 0)
    );
    insta::assert_snapshot!("series_rename", json(&r, &["series", "rename", "local", "mine"], 0));
    insta::assert_snapshot!("series_unchanged", json(&r, &["series", "order", "mine"], 0));
    insta::assert_snapshot!("edit", json(&r, &["edit", "mine:1"], 1));
    r.pq_ok(&["abort"]);

    // Rebase, and what it changed.
    insta::assert_snapshot!("bump_dry_run", json(&r, &["bump", "--dry-run"], 0));
    insta::assert_snapshot!("rebase_dry_run", json(&r, &["rebase", "v6.7.2", "--dry-run"], 0));
    insta::assert_snapshot!("rebase", json(&r, &["rebase", "v6.7.2"], 0));
    insta::assert_snapshot!("range_diff", json(&r, &["range-diff"], 0));
    insta::assert_snapshot!("fixes", json(&r, &["fixes", "--upstream", "v6.8"], 0));

    // Releases.
    insta::assert_snapshot!(
        "release_dry_run",
        json(&r, &["release", "--dist", ".fc39", "--dry-run"], 0)
    );
    insta::assert_snapshot!("release", json(&r, &["release", "--dist", ".fc39"], 0));
    insta::assert_snapshot!("release_unchanged", json(&r, &["release", "--dist", ".fc39"], 0));

    // Patches out and in.
    let out = r.path("../exported");
    let out = out.to_str().unwrap();
    insta::assert_snapshot!(
        "export",
        json(&r, &["export", "--format", "quilt", "-o", out, "mine"], 0)
    );
    insta::assert_snapshot!(
        "import_dry_run",
        json(
            &r,
            &["import", out, "--format", "quilt", "--series", "again", "--dry-run"],
            0
        )
    );

    // The branch moved outside pq, and adopted again.
    r.write("README.local", "mine\n");
    r.commit("local: a readme");
    insta::assert_snapshot!("adopt", json(&r, &["adopt"], 0));

    // A refusal: JSON on stdout too.
    insta::assert_snapshot!("error", json(&r, &["backport", "v6.7..v6.8", "no/such/path"], 2));
}
