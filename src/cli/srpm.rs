use std::path::{Path, PathBuf};

use crate::cli::{Output, EXIT_OK};
use crate::ops::srpm::{srpm, SrpmOptions};

/// Build the source RPM of the release at HEAD
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Runs the tree's own `make -C redhat dist-srpm` when it has one; otherwise renders the spec\n\
(genspec.sh's way for a redhat/kernel.spec.template), makes Source0 without the packaging directory and runs\n\
`rpmbuild -bs`. Every Source and Patch must be there: the missing ones are named before anything runs.\n\n\
Examples:\n  pq srpm\n  pq srpm --outdir ~/rpmbuild/SRPMS --dist .el9_2\n  pq release --srpm ~/rpmbuild/SRPMS"
)]
pub struct Args {
    /// Where to write the source RPM
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub outdir: PathBuf,
    /// Dist tag (`.el9_2`): rpm's %{dist}, and DIST for the tree's Makefile
    #[arg(long, value_name = "DIST")]
    pub dist: Option<String>,
    /// The release's local tag (`hs1`), as given to `pq release --local`
    #[arg(long, value_name = "TAG")]
    pub local: Option<String>,
}

pub fn run(dir: &Path, a: &Args, out: &Output) -> crate::Result<i32> {
    let outdir = if a.outdir.is_absolute() {
        a.outdir.clone()
    } else {
        dir.join(&a.outdir)
    };
    let path = srpm(
        dir,
        &SrpmOptions {
            out_dir: outdir,
            dist: a.dist.clone(),
            local: a.local.clone(),
        },
    )?;
    if out.json() {
        out.print_json(&super::json::Srpm {
            srpm: path.display().to_string(),
        });
    } else {
        println!("source RPM: {}", path.display());
    }
    Ok(EXIT_OK)
}
