use std::path::{Path, PathBuf};

use crate::cli::{Output, EXIT_OK};
use crate::interop::Format;
use crate::ops::export::{export, ExportOptions};

/// Write the series as quilt, Debian (DEP-3), SUSE (series.conf), spec Patch lines or an mbox
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Every patch is named NNNN-subject.patch like git format-patch; the same queue always gives the same bytes.\n\
Default output: quilt → patches/, debian → debian/patches/, suse → . (series.conf, patches.suse/),\n\
spec → the packaging directory (its spec gets PatchNNNNN: lines), mbox → patches.mbox.\n\n\
Examples:\n  pq export --format quilt\n  pq export --format debian -o ../linux-deb/debian/patches backport/lib-zstd\n  pq export --format spec -o ../kernel-distgit --patch-start 2000\n  pq export --format mbox -o out.mbox && git am out.mbox"
)]
pub struct Args {
    /// Output directory (for mbox: the file)
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// First PatchNNNNN number written into the spec
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub patch_start: u32,
    /// Series to export (default: every series except packaging and release commits)
    #[arg(value_name = "SERIES")]
    pub series: Vec<String>,
}

pub fn run(dir: &Path, a: &Args, format: Option<Format>, out: &Output) -> crate::Result<i32> {
    let format = format.ok_or_else(|| {
        crate::Error::input("which format? --format quilt, debian, suse, spec or mbox")
            .hint("e.g. `pq export --format quilt`")
    })?;
    let r = export(
        dir,
        &ExportOptions {
            format,
            output: a.output.clone(),
            series: a.series.clone(),
            patch_start: a.patch_start,
        },
    )?;
    if out.json() {
        out.print_json(&super::json::Export {
            format: r.format.to_string(),
            output: r.output.clone(),
            files: r.files.clone(),
            patches: r.patches,
            left_out: r
                .left_out
                .iter()
                .map(|l| super::json::LeftOut {
                    file: l.file.clone(),
                    path: l.path.clone(),
                })
                .collect(),
            spec: r.spec.clone(),
        });
    } else {
        println!("wrote {} patch(es) as {} to {}", r.patches, r.format, r.output);
        if let Some(spec) = &r.spec {
            println!("updated the Patch lines in {spec}");
        }
        for l in &r.left_out {
            eprintln!(
                "warning: {}: binary change to {} left out ({} patches cannot carry binary content)",
                l.file, l.path, r.format
            );
        }
    }
    Ok(EXIT_OK)
}
