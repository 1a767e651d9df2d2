//! The round trip on real history: the 41 libxfs backports (`v6.3.0..v6.5.0 libxfs` picked onto v6.1.0,
//! conflicts skipped) exported in each format and imported onto a fresh branch give the same trees,
//! messages, authors, dates and origins.

mod common;

use common::*;

fn commits(r: &TestRepo, range: &str) -> Vec<String> {
    let out = r.git(&["log", "--reverse", "--format=%T%x00%an <%ae>%x00%ad%x00%B%x01", range]);
    out.split('\u{1}')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn origins(r: &TestRepo) -> Vec<(Option<String>, Option<String>)> {
    let v = r.pq_json(&["series"], 0)["series"].take();
    v.as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            s["patches"].as_array().unwrap().iter().map(|p| {
                (
                    p["origin"].as_str().map(String::from),
                    p["via"].as_str().map(String::from),
                )
            })
        })
        .collect()
}

#[test]
fn xfsprogs_backports_round_trip_through_every_format() {
    let r = xfsprogs_stable_6_1();
    let stops = run_skipping(
        &r,
        &["backport", "v6.3.0..v6.5.0", "libxfs", "--series", "backport/libxfs"],
    );
    assert_eq!(stops.len(), 19);
    let want = commits(&r, "v6.1.0..stable-6.1");
    assert_eq!(want.len(), 41);
    let want_origins = origins(&r);
    assert_eq!(want_origins.iter().filter(|o| o.0.is_some()).count(), 41);
    for (i, format) in ["quilt", "debian", "suse", "mbox"].iter().enumerate() {
        r.git(&["checkout", "-q", "stable-6.1"]);
        let out = r.scratch.path().join(format!("x-{format}"));
        let target = if *format == "mbox" {
            out.with_extension("mbox")
        } else {
            out.clone()
        };
        r.pq_ok(&["export", "--format", format, "-o", target.to_str().unwrap()]);
        let branch = format!("rt{i}");
        r.git(&["checkout", "-q", "-b", &branch, "v6.1.0"]);
        r.pq_ok(&["init", "--base", "v6.1.0"]);
        r.pq_ok(&["import", target.to_str().unwrap()]);
        assert_eq!(commits(&r, &format!("v6.1.0..{branch}")), want, "{format}");
        assert_eq!(origins(&r), want_origins, "{format}");
    }
    // git am reads the same mbox to the same trees.
    r.git(&["checkout", "-q", "-b", "am", "v6.1.0"]);
    r.git(&["am", "-q", r.scratch.path().join("x-mbox.mbox").to_str().unwrap()]);
    assert_eq!(commits(&r, "v6.1.0..am"), want);
    r.fsck();
}
