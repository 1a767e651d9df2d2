//! Helpers for tests that compare against the real rpm and dpkg tools. A missing tool fails the test
//! (see `xtask::oracle`): a comparison that is not made must not pass.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

pub use xtask::oracle::require_tool;

/// A fresh, empty directory under the system temp dir, unique per call.
pub fn temp_dir(tag: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("pq-packaging-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// Lua string literal holding exactly `s`: every byte is written as a decimal
/// escape so no quoting or macro character can leak into the script.
fn lua_string(s: &str) -> String {
    let mut out = String::from("\"");
    for b in s.bytes() {
        out.push_str(&format!("\\{b}"));
    }
    out.push('"');
    out
}

/// Asks the real rpm for `rpm.vercmp(a, b)` of every pair in one process (one
/// `rpm --eval` per pair would take minutes). rpm parses each side as
/// `[epoch:]version[-release]`.
pub fn rpm_vercmp_batch(pairs: &[(String, String)]) -> Vec<i32> {
    require_tool("rpm", "rpm");
    let dir = temp_dir("vercmp");
    let script = dir.join("cmp.lua");
    let mut lua = String::from("local p = {\n");
    for (a, b) in pairs {
        lua.push_str(&format!("{{{}, {}}},\n", lua_string(a), lua_string(b)));
    }
    lua.push_str(
        "}\nlocal out = {}\nfor i, x in ipairs(p) do out[#out + 1] = tostring(rpm.vercmp(x[1], x[2])) end\nprint(table.concat(out, \"\\n\"))\n",
    );
    std::fs::write(&script, lua).expect("write lua script");
    let output = Command::new("rpm")
        .arg("--eval")
        .arg(format!("%{{lua: dofile(\"{}\")}}", script.display()))
        .output()
        .expect("run rpm");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "rpm --eval failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("utf-8 from rpm");
    let results: Vec<i32> = stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().parse().expect("rpm.vercmp prints an integer"))
        .collect();
    assert_eq!(results.len(), pairs.len(), "one rpm result per pair");
    results
}
