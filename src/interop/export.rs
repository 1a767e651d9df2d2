//! Writing a queue in each format: file names, headers and the series index, as bytes in memory. The same
//! input always gives the same files.

use gix::bstr::BString;

use crate::git::Person;
use crate::interop::headers::{dep3_fields, patch_name, person, rfc2822, suse_references, trailers};
use crate::interop::layout::series_dir;
use crate::interop::Format;

/// One patch to write.
pub struct Item {
    pub commit: crate::git::Oid,
    pub series: String,
    pub author: Person,
    pub message: String,
    pub origin: Option<crate::git::Oid>,
    /// SUSE's `Patch-mainline:` value for a backport (the first tag containing the origin).
    pub mainline: Option<String>,
    pub diff: Vec<u8>,
    /// Binary paths left out of `diff`.
    pub omitted: Vec<BString>,
}

impl Item {
    fn subject(&self) -> &str {
        self.message.lines().next().unwrap_or("").trim()
    }
    fn body(&self) -> &str {
        match self.message.split_once('\n') {
            Some((_, rest)) => rest.trim(),
            None => "",
        }
    }
}

/// Files to write, relative to the output path, in order.
pub struct Files {
    pub files: Vec<(String, Vec<u8>)>,
    /// Paths of patch files in queue order with their series (for the spec's Patch lines).
    pub patches: Vec<(String, String)>,
}

fn mail(item: &Item, subject_prefix: &str, extra: &[(String, String)]) -> Vec<u8> {
    let mut out = String::new();
    out.push_str(&format!("From: {}\n", person(&item.author)));
    out.push_str(&format!("Date: {}\n", rfc2822(item.author.time, item.author.offset)));
    out.push_str(&format!("Subject: {subject_prefix}{}\n", item.subject()));
    for (k, v) in extra {
        out.push_str(&format!("{k}: {v}\n"));
    }
    out.push('\n');
    let body = item.body();
    if !body.is_empty() {
        out.push_str(body);
        out.push('\n');
    }
    if !item.omitted.is_empty() {
        // Said in the patch itself too, after the separator, where it is not part of the message.
        out.push_str("---\nBinary changes left out of this patch (the format cannot carry them):\n");
        for p in &item.omitted {
            out.push_str(&format!(" {p}\n"));
        }
        out.push('\n');
    } else {
        out.push_str("---\n");
    }
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&item.diff);
    bytes
}

fn suse_fields(item: &Item) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let existing: Vec<(String, String)> = trailers(&item.message);
    let trailer = |k: &str| {
        existing
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    let mainline = match (&item.origin, trailer("Patch-mainline")) {
        (_, Some(v)) => v,
        (Some(_), None) => item
            .mainline
            .clone()
            .unwrap_or_else(|| "Not yet, not in a tagged release".to_string()),
        (None, None) => format!("Not yet, local patch in series {}", item.series),
    };
    out.push(("Patch-mainline".to_string(), mainline));
    if let Some(o) = &item.origin {
        out.push(("Git-commit".to_string(), o.to_string()));
    }
    let refs = suse_references(&item.message);
    if !refs.is_empty() {
        out.push(("References".to_string(), refs.join(" ")));
    }
    out
}

/// Group items by series, keeping queue order.
fn by_series(items: &[Item]) -> Vec<(&str, Vec<&Item>)> {
    let mut out: Vec<(&str, Vec<&Item>)> = Vec::new();
    for it in items {
        match out.iter_mut().find(|(s, _)| *s == it.series) {
            Some((_, v)) => v.push(it),
            None => out.push((&it.series, vec![it])),
        }
    }
    out
}

/// quilt and Debian: one subdirectory per series, numbered from 1 in each, and a `series` file.
fn quilt_like(items: &[Item], debian: bool) -> Files {
    let mut files = Vec::new();
    let mut patches = Vec::new();
    let mut series = String::new();
    for (name, its) in by_series(items) {
        let dir = series_dir(name);
        series.push_str(&format!("# {name}\n"));
        for (i, it) in its.iter().enumerate() {
            let path = format!("{dir}/{}", patch_name(i + 1, it.subject()));
            let extra = if debian {
                dep3_fields(&it.message, it.origin.map(|o| o.to_string()).as_deref())
            } else {
                Vec::new()
            };
            files.push((path.clone(), mail(it, "", &extra)));
            series.push_str(&path);
            series.push('\n');
            patches.push((path, name.to_string()));
        }
    }
    files.push(("series".to_string(), series.into_bytes()));
    Files { files, patches }
}

/// SUSE kernel-source: `patches.suse/NNNN-subject.patch` numbered through the queue, and `series.conf`
/// with one commented section per series.
fn suse(items: &[Item]) -> Files {
    let mut files = Vec::new();
    let mut patches = Vec::new();
    let mut conf = String::from("# Kernel patches configuration file\n# vim: set ts=8 sw=8 noet:\n");
    let mut n = 0;
    for (name, its) in by_series(items) {
        conf.push_str("\n\t########################################################\n");
        conf.push_str(&format!("\t# {name}\n"));
        conf.push_str("\t########################################################\n");
        for it in its {
            n += 1;
            let path = format!("patches.suse/{}", patch_name(n, it.subject()));
            files.push((path.clone(), mail(it, "", &suse_fields(it))));
            conf.push_str(&format!("\t{path}\n"));
            patches.push((path, name.to_string()));
        }
    }
    files.push(("series.conf".to_string(), conf.into_bytes()));
    Files { files, patches }
}

/// Patch files for a spec: flat, numbered through the queue.
fn spec_files(items: &[Item]) -> Files {
    let mut files = Vec::new();
    let mut patches = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let path = patch_name(i + 1, it.subject());
        files.push((path.clone(), mail(it, "", &[])));
        patches.push((path, it.series.clone()));
    }
    Files { files, patches }
}

/// One mbox, as `git format-patch --stdout` lays it out; `X-pq-series` keeps each patch's series.
fn mbox(items: &[Item]) -> Files {
    let mut out = Vec::new();
    let total = items.len();
    for (i, it) in items.iter().enumerate() {
        out.extend_from_slice(format!("From {} Mon Sep 17 00:00:00 2001\n", it.commit).as_bytes());
        let prefix = if total > 1 {
            format!("[PATCH {:0w$}/{total}] ", i + 1, w = total.to_string().len())
        } else {
            "[PATCH] ".to_string()
        };
        let mut extra = vec![("X-pq-series".to_string(), it.series.clone())];
        if !it.message.is_ascii() || !it.author.name.is_ascii() {
            extra.push(("MIME-Version".to_string(), "1.0".to_string()));
            extra.push(("Content-Type".to_string(), "text/plain; charset=UTF-8".to_string()));
            extra.push(("Content-Transfer-Encoding".to_string(), "8bit".to_string()));
        }
        out.extend_from_slice(&mail(it, &prefix, &extra));
        out.extend_from_slice(b"-- \npq\n\n");
    }
    Files {
        files: vec![(String::new(), out)],
        patches: Vec::new(),
    }
}

/// The files of `items` in `format` (for spec: only the patch files; the spec edit is separate).
pub fn render(format: Format, items: &[Item]) -> Files {
    match format {
        Format::Quilt => quilt_like(items, false),
        Format::Debian => quilt_like(items, true),
        Format::Suse => suse(items),
        Format::Spec => spec_files(items),
        Format::Mbox => mbox(items),
    }
}

const BEGIN: &str = "# pq export: patches, in queue order (rewritten by every export)";
const END: &str = "# pq export: end";
const PREP_BEGIN: &str = "# pq export: apply the patches above";

/// The spec with `PatchNNNNN:` lines for `patches` (numbered from `start`), replacing an earlier export's
/// block; placed before `# END OF PATCH DEFINITIONS` when the spec has it, else after its last
/// `Source`/`Patch` tag. A `%prep` without `%autosetup`/`%autopatch` also gets `%patch` lines.
pub fn edit_spec(spec: &str, patches: &[(String, String)], start: u32) -> String {
    let mut block = String::new();
    block.push_str(BEGIN);
    block.push('\n');
    let mut last_series = "";
    for (i, (p, s)) in patches.iter().enumerate() {
        if s != last_series {
            block.push_str(&format!("# series {s}\n"));
            last_series = s;
        }
        block.push_str(&format!("Patch{}: {p}\n", start as usize + i));
    }
    block.push_str(END);
    block.push('\n');
    let lines: Vec<&str> = spec.split_inclusive('\n').collect();
    // Drop an earlier export's blocks.
    let mut kept: Vec<&str> = Vec::new();
    let mut skipping = false;
    for l in &lines {
        let t = l.trim_end();
        if t == BEGIN || t == PREP_BEGIN {
            skipping = true;
            continue;
        }
        if skipping {
            if t == END {
                skipping = false;
            }
            continue;
        }
        kept.push(l);
    }
    let tag = regex::Regex::new(r"(?i)^(Source|Patch)\d*\s*:").expect("valid");
    let pos = kept
        .iter()
        .position(|l| l.trim_end() == "# END OF PATCH DEFINITIONS")
        .or_else(|| kept.iter().rposition(|l| tag.is_match(l)).map(|i| i + 1))
        .unwrap_or(0);
    let mut out: Vec<String> = kept.iter().map(|s| s.to_string()).collect();
    out.insert(pos, block);
    let text: String = out.concat();
    if text.contains("%autosetup") || text.contains("%autopatch") || patches.is_empty() {
        return text;
    }
    // Apply them after %setup in %prep.
    let mut prep = String::from(PREP_BEGIN);
    prep.push('\n');
    for i in 0..patches.len() {
        prep.push_str(&format!("%patch -P {} -p1\n", start as usize + i));
    }
    prep.push_str(END);
    prep.push('\n');
    let mut result = String::new();
    let mut in_prep = false;
    let mut done = false;
    for l in text.split_inclusive('\n') {
        result.push_str(l);
        let t = l.trim();
        if t.starts_with("%prep") {
            in_prep = true;
        }
        if in_prep && !done && t.starts_with("%setup") {
            result.push_str(&prep);
            done = true;
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_block_is_replaced_not_repeated() {
        let spec = "Name: k\nSource0: k.tar\nPatch1: a.patch\n\n%prep\n%setup -q\n\n%build\n";
        let p = vec![("0001-x.patch".to_string(), "s".to_string())];
        let once = edit_spec(spec, &p, 1000);
        assert!(once.contains("Patch1: a.patch\n# pq export"), "{once}");
        assert!(
            once.contains("%setup -q\n# pq export: apply the patches above\n%patch -P 1000 -p1\n"),
            "{once}"
        );
        assert_eq!(edit_spec(&once, &p, 1000), once);
    }
}
