use std::path::{Path, PathBuf};

use crate::cli::{Output, EXIT_FOLLOW_UP, EXIT_OK};
use crate::ops::release::{release, ReleaseOptions, ReleaseReport};

/// Cut a release: bump the spec, write the changelog entry, commit and tag
#[derive(clap::Args, Debug)]
#[command(
    after_help = "The version comes from the top-level Makefile, the release number from the earlier releases;\n\
the changelog entry lists every commit since the previous release.\n\n\
Examples:\n  pq release --dry-run\n  pq release --dist .el9\n  pq release --local hs1 --srpm ~/rpmbuild/SRPMS"
)]
pub struct Args {
    /// Dist tag appended to the release (`.el9`); also passed to rpmbuild with --srpm
    #[arg(long, value_name = "DIST")]
    pub dist: Option<String>,
    /// Local tag after the release number (`hs1` gives 6.7.1-0.hs1)
    #[arg(long, value_name = "TAG")]
    pub local: Option<String>,
    /// Print the NVR, the changelog entry and the spec diff, changing nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Sign the tag (runs `git tag -s`; also done when tag.gpgSign is true)
    #[arg(long)]
    pub sign: bool,
    /// Also build the source RPM into DIR (needs rpmbuild)
    #[arg(long, value_name = "DIR")]
    pub srpm: Option<PathBuf>,
    /// Release even when nothing changed since the previous release
    #[arg(long)]
    pub force: bool,
}

fn unified_diff(path: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

pub fn run(dir: &Path, a: &Args, out: &Output, cmd: &str) -> crate::Result<i32> {
    let r = release(
        dir,
        &ReleaseOptions {
            dist: a.dist.clone(),
            local: a.local.clone(),
            dry_run: a.dry_run,
            sign: a.sign,
            // Relative to where pq runs (`-C DIR` included), as git takes paths.
            srpm: a.srpm.as_ref().map(|p| dir.join(p)),
            force: a.force,
            command: cmd.into(),
        },
    )?;
    if out.json() {
        print_json(out, &r);
    } else {
        print_text(&r);
    }
    let failed = matches!(r.signed, Some(Err(_))) || matches!(r.srpm, Some(Err(_)));
    // The release is committed and tagged either way: a failed signature or SRPM is a follow-up failure,
    // not a failed release.
    Ok(if failed { EXIT_FOLLOW_UP } else { EXIT_OK })
}

fn print_json(out: &Output, r: &ReleaseReport) {
    if let Some(prev) = &r.nothing_changed {
        out.print_json(&serde_json::json!({
            "nothing_changed": true,
            "previous": prev,
            "dry_run": r.dry_run,
        }));
        return;
    }
    out.print_json(&serde_json::json!({
        "nvr": r.nvr,
        "version": r.version,
        "release": r.release,
        "tag": r.tag,
        "changelog": r.changelog,
        "debian_changelog": r.debian_changelog,
        "files": r.files.iter().map(|f| f.path.clone()).collect::<Vec<_>>(),
        "warnings": r.warnings,
        "commit": r.commit.map(|c| c.to_string()),
        "dry_run": r.dry_run,
        "signed": r.signed.as_ref().map(|s| s.is_ok()),
        "srpm": match &r.srpm {
            Some(Ok(p)) => serde_json::json!(p.display().to_string()),
            Some(Err(e)) => serde_json::json!({"error": e.message, "hint": e.hints.first(), "hints": e.hints}),
            None => serde_json::Value::Null,
        },
    }));
}

fn print_text(r: &ReleaseReport) {
    if let Some(prev) = &r.nothing_changed {
        println!("nothing changed since {prev}; use --force to release anyway");
        return;
    }
    for w in &r.warnings {
        eprintln!("warning: {w}");
    }
    if r.dry_run {
        println!("would release {} on {}", r.nvr, r.branch);
    } else {
        println!("released {} on {}", r.nvr, r.branch);
    }
    println!();
    print!("{}", r.changelog);
    if let Some(d) = &r.debian_changelog {
        println!();
        print!("{d}");
    }
    println!();
    if r.dry_run {
        println!("files that would change:");
        for f in &r.files {
            println!("  {}", f.path);
        }
        for f in &r.files {
            println!();
            print!("{}", unified_diff(&f.path, &f.old, &f.new));
        }
        println!("dry run: nothing changed");
        return;
    }
    println!(
        "commit {} ({}), tag {}",
        r.commit.as_ref().map(crate::git::short).unwrap_or_default(),
        r.files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>().join(", "),
        r.tag
    );
    match &r.signed {
        Some(Ok(())) => println!("tag {} signed", r.tag),
        Some(Err(e)) => {
            eprintln!("error: signing tag {} failed: {e}", r.tag);
            eprintln!(
                "hint: the release commit and an unsigned tag {0} exist; fix gpg/ssh signing and run `git tag -s -f -m {0} {0} {0}^{{}}`",
                r.tag
            );
        }
        None => {}
    }
    match &r.srpm {
        Some(Ok(p)) => println!("source RPM: {}", p.display()),
        Some(Err(e)) => {
            eprintln!("error: building the source RPM failed: {}", e.message);
            for h in &e.hints {
                eprintln!("hint: {h}");
            }
        }
        None => {}
    }
    println!("next: git push origin {} {} 'refs/pq/*'", r.branch, r.tag);
}
