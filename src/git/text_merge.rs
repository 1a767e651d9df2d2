//! A three-way merge of text files that gives the bytes git's merge-ort gives (its `ll_merge` at level
//! `XDL_MERGE_ZEALOUS`), so a pick conflicts exactly when `git cherry-pick` does and leaves the same markers.
//!
//! gix-merge's text driver differs from git in two ways that change results: it places ambiguous diff hunks
//! with the indent heuristic (git's merges do not use it, so a hunk slides as far down as it can), which makes
//! changes next to each other that git sees apart; and it only trims lines both sides share at the ends of a
//! conflict, where git diffs the two sides of the region again and splits it around every run of shared lines
//! (then joins regions at most three lines apart). The algorithm below follows git's description of its
//! merge levels; the line diffs are imara-diff's histogram (or Myers, per `diff.algorithm`) with git's
//! slider placement.

use std::collections::HashMap;

use gix::bstr::{BString, ByteSlice};
use gix::merge::blob::builtin_driver::text as gix_text;
use gix::merge::tree::{Conflict, ContentMerge, Resolution};
use gix_imara_diff::{Algorithm, Diff, Token};

use crate::error::Result;
use crate::git::{Entry, Oid, Repo};

/// How conflicts are written (`merge.conflictStyle`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Merge,
    Diff3,
    ZealousDiff3,
}

/// The three labels written after the markers (`<<<<<<< ours`, `||||||| base`, `>>>>>>> theirs`).
pub struct Labels<'a> {
    pub base: Option<&'a [u8]>,
    pub ours: Option<&'a [u8]>,
    pub theirs: Option<&'a [u8]>,
}

pub struct Options {
    pub algorithm: Algorithm,
    pub style: Style,
    pub marker_size: usize,
}

/// The merged bytes, and whether any conflict was left in them.
pub struct Merged {
    pub content: Vec<u8>,
    pub conflicted: bool,
}

/// One file as lines (each with its line ending, the last possibly without one) and their tokens.
struct File<'a> {
    lines: Vec<&'a [u8]>,
    tokens: Vec<Token>,
}

/// One token per distinct line of the three files, so both diffs from the base share them. Lines are hashed
/// once each with foldhash (seeded per process, so crafted files cannot force collisions): with the default
/// SipHash, interning took longer than the diffs on large translation files.
struct Interner<'a> {
    ids: HashMap<&'a [u8], Token, foldhash::fast::RandomState>,
}

impl<'a> Interner<'a> {
    /// Room for about `bytes` of input without rehashing (lines of real text files are rarely shorter than
    /// 16 bytes on average, and a map too small only grows).
    fn with_capacity(bytes: usize) -> Interner<'a> {
        Interner {
            ids: HashMap::with_capacity_and_hasher(bytes / 16, foldhash::fast::RandomState::default()),
        }
    }

    fn token(&mut self, line: &'a [u8]) -> Token {
        let next = Token(self.ids.len() as u32);
        *self.ids.entry(line).or_insert(next)
    }

    fn file(&mut self, data: &'a [u8]) -> File<'a> {
        let lines: Vec<&[u8]> = data.lines_with_terminator().collect();
        let tokens = lines.iter().map(|l| self.token(l)).collect();
        File { lines, tokens }
    }

    /// A side, interned with the base as a guide: the sides of a merge are mostly the base's lines in the
    /// base's order, so each line is first compared with the base line after the last one matched, and
    /// only looked up when it differs. (A lookup costs a hash and a probe into a large table; the guess
    /// reads both files front to back.) The tokens are the same as [`Interner::file`] gives.
    fn side(&mut self, data: &'a [u8], base: &File<'a>, first_at: &[u32]) -> File<'a> {
        let lines: Vec<&[u8]> = data.lines_with_terminator().collect();
        let mut tokens = Vec::with_capacity(lines.len());
        let mut at = 0;
        for l in &lines {
            if base.lines.get(at) == Some(l) {
                tokens.push(base.tokens[at]);
                at += 1;
                continue;
            }
            let t = self.token(l);
            tokens.push(t);
            // Resynchronise on a line the base has once; otherwise assume this line replaced the guess.
            at = match first_at.get(t.0 as usize) {
                Some(&p) if p != u32::MAX => p as usize + 1,
                _ => at + 1,
            };
        }
        File { lines, tokens }
    }
}

/// For each token of `base` (tokens are numbered from zero in order of first appearance), its line when the
/// base has it exactly once, `u32::MAX` when more often.
fn unique_positions(base: &File) -> Vec<u32> {
    let mut first_at: Vec<u32> = Vec::new();
    for (i, t) in base.tokens.iter().enumerate() {
        let t = t.0 as usize;
        if t == first_at.len() {
            first_at.push(i as u32);
        } else {
            first_at[t] = u32::MAX;
        }
    }
    first_at
}

/// The tokens of two runs of lines renumbered from zero, so a diff of a small region costs its own size and
/// not the size of the whole files' token space (a diff allocates and clears a table per token). A diff only
/// compares tokens for equality, so renumbering does not change it. `scratch` has a slot per token of the
/// files, all `u32::MAX`, and is left that way.
fn renumber(scratch: &mut [u32], a: &[Token], b: &[Token]) -> (Vec<Token>, Vec<Token>, u32) {
    let mut next = 0u32;
    let mut map = |t: &Token| {
        let slot = &mut scratch[t.0 as usize];
        if *slot == u32::MAX {
            *slot = next;
            next += 1;
        }
        Token(*slot)
    };
    let (ra, rb): (Vec<Token>, Vec<Token>) = (a.iter().map(&mut map).collect(), b.iter().map(&mut map).collect());
    for t in a.iter().chain(b) {
        scratch[t.0 as usize] = u32::MAX;
    }
    (ra, rb, next)
}

/// A change of the base, as one side made it: base lines `[b, b + bn)` became side lines `[s, s + sn)`.
#[derive(Debug, Clone, Copy)]
struct Change {
    b: isize,
    bn: isize,
    s: isize,
    sn: isize,
}

/// The changes from `before` to `after`, as git's xdiff finds them for a merge: its diff algorithm on the
/// whole files, then each group of changed lines slid as far down as it goes unless it can line up with a
/// change on the other side (git's compaction without the indent heuristic).
fn changes(algorithm: Algorithm, before: &[Token], after: &[Token], num_tokens: u32) -> Vec<Change> {
    let (mut removed, mut added) = raw_diff(algorithm, before, after, num_tokens);
    compact(&mut removed, before, &added);
    compact(&mut added, after, &removed);
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < before.len() || j < after.len() {
        let (ri, rj) = (removed.get(i) == Some(&true), added.get(j) == Some(&true));
        if !ri && !rj {
            i += 1;
            j += 1;
            continue;
        }
        let (b, s) = (i, j);
        while removed.get(i) == Some(&true) {
            i += 1;
        }
        while added.get(j) == Some(&true) {
            j += 1;
        }
        out.push(Change {
            b: b as isize,
            bn: (i - b) as isize,
            s: s as isize,
            sn: (j - s) as isize,
        });
    }
    out
}

/// Which lines of `before` are removed and which of `after` added. imara-diff's histogram first drops the
/// lines both files start and end with, which git's does not (and that changes which lines it pairs): a
/// line at each end that matches nothing keeps the files' ends apart, and is dropped from the result.
fn raw_diff(algorithm: Algorithm, before: &[Token], after: &[Token], num_tokens: u32) -> (Vec<bool>, Vec<bool>) {
    let mut diff = Diff::default();
    if algorithm != Algorithm::Histogram {
        diff.compute_with(algorithm, before, after, num_tokens);
        let removed = (0..before.len()).map(|i| diff.is_removed(i as u32)).collect();
        let added = (0..after.len()).map(|i| diff.is_added(i as u32)).collect();
        return (removed, added);
    }
    let fence = |k: u32| Token(num_tokens + k);
    let b: Vec<Token> = std::iter::once(fence(0))
        .chain(before.iter().copied())
        .chain(std::iter::once(fence(1)))
        .collect();
    let a: Vec<Token> = std::iter::once(fence(2))
        .chain(after.iter().copied())
        .chain(std::iter::once(fence(3)))
        .collect();
    diff.compute_with(algorithm, &b, &a, num_tokens + 4);
    let removed = (0..before.len()).map(|i| diff.is_removed(i as u32 + 1)).collect();
    let added = (0..after.len()).map(|i| diff.is_added(i as u32 + 1)).collect();
    (removed, added)
}

/// A run of changed lines `[start, end)` in one file (possibly empty: the place between two unchanged lines).
#[derive(Clone, Copy)]
struct Group {
    start: usize,
    end: usize,
}

fn group_at(changed: &[bool], start: usize) -> Group {
    let mut end = start;
    while changed.get(end) == Some(&true) {
        end += 1;
    }
    Group { start, end }
}

fn next_group(changed: &[bool], g: Group) -> Option<Group> {
    (g.end < changed.len()).then(|| group_at(changed, g.end + 1))
}

fn previous_group(changed: &[bool], g: Group) -> Option<Group> {
    if g.start == 0 {
        return None;
    }
    let end = g.start - 1;
    let mut start = end;
    while start > 0 && changed[start - 1] {
        start -= 1;
    }
    Some(Group { start, end })
}

/// Move a group one line down when the line after it equals its first line (the group swallows any group it
/// then touches).
fn slide_down(changed: &mut [bool], tokens: &[Token], g: &mut Group) -> bool {
    if g.end < changed.len() && tokens[g.start] == tokens[g.end] {
        changed[g.start] = false;
        changed[g.end] = true;
        g.start += 1;
        g.end += 1;
        while changed.get(g.end) == Some(&true) {
            g.end += 1;
        }
        return true;
    }
    false
}

fn slide_up(changed: &mut [bool], tokens: &[Token], g: &mut Group) -> bool {
    if g.start > 0 && tokens[g.start - 1] == tokens[g.end - 1] {
        g.start -= 1;
        g.end -= 1;
        changed[g.start] = true;
        changed[g.end] = false;
        while g.start > 0 && changed[g.start - 1] {
            g.start -= 1;
        }
        return true;
    }
    false
}

/// git's change compaction without the indent heuristic, for the changed lines of one file (`changed`,
/// `tokens`) against the other file's changed lines (`other`, whose groups pair with this file's in order).
fn compact(changed: &mut [bool], tokens: &[Token], other: &[bool]) {
    let mut g = group_at(changed, 0);
    let mut go = group_at(other, 0);
    loop {
        if g.end != g.start {
            let mut earliest_end;
            let mut end_matching_other;
            loop {
                let size = g.end - g.start;
                end_matching_other = None;
                while slide_up(changed, tokens, &mut g) {
                    go = previous_group(other, go).expect("groups pair up");
                }
                earliest_end = g.end;
                if go.end > go.start {
                    end_matching_other = Some(g.end);
                }
                while slide_down(changed, tokens, &mut g) {
                    go = next_group(other, go).expect("groups pair up");
                    if go.end > go.start {
                        end_matching_other = Some(g.end);
                    }
                }
                if size == g.end - g.start {
                    break;
                }
            }
            if g.end != earliest_end {
                if let Some(end) = end_matching_other {
                    while go.end == go.start && g.end > end {
                        slide_up(changed, tokens, &mut g);
                        go = previous_group(other, go).expect("groups pair up");
                    }
                }
            }
        }
        let Some(next) = next_group(changed, g) else { break };
        g = next;
        go = next_group(other, go).expect("groups pair up");
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Take {
    Conflict,
    Ours,
    Theirs,
    /// Both sides made the same change (found when refining a conflict): nothing to write of its own.
    Same,
}

/// A region of the merge, in the coordinates of the base (`b`), ours (`o`) and theirs (`t`). Signed: while
/// regions are being combined a start can lie before the file's first line (it is folded into the previous
/// region at once).
#[derive(Debug, Clone, Copy)]
struct Region {
    take: Take,
    b: isize,
    bn: isize,
    o: isize,
    on: isize,
    t: isize,
    tn: isize,
}

impl Region {
    /// Our change `x` alone; `t_at` is where its base lines sit in theirs.
    fn ours(x: Change, t_at: isize) -> Region {
        Region {
            take: Take::Ours,
            b: x.b,
            bn: x.bn,
            o: x.s,
            on: x.sn,
            t: t_at,
            tn: x.bn,
        }
    }

    /// Their change `y` alone; `o_at` is where its base lines sit in ours.
    fn theirs(y: Change, o_at: isize) -> Region {
        Region {
            take: Take::Theirs,
            b: y.b,
            bn: y.bn,
            o: o_at,
            on: y.bn,
            t: y.s,
            tn: y.sn,
        }
    }
}

/// Lines `[at, at + n)` of a file.
fn span<T>(items: &[T], at: isize, n: isize) -> &[T] {
    &items[at as usize..(at + n) as usize]
}

/// Append a region, folding it into the previous one when they overlap or touch on either side (then the
/// result conflicts unless both came from the same side).
fn push(regions: &mut Vec<Region>, r: Region) {
    if let Some(last) = regions.last_mut() {
        if r.o <= last.o + last.on || r.t <= last.t + last.tn {
            if r.take != last.take {
                last.take = Take::Conflict;
            }
            last.bn = r.b + r.bn - last.b;
            last.on = r.o + r.on - last.o;
            last.tn = r.t + r.tn - last.t;
            return;
        }
    }
    regions.push(r);
}

/// Merge `ours` and `theirs`, both edits of `base`.
pub fn merge(base: &[u8], ours: &[u8], theirs: &[u8], labels: &Labels, options: &Options) -> Merged {
    let mut interner = Interner::with_capacity(base.len().max(ours.len()).max(theirs.len()));
    let b = interner.file(base);
    let first_at = unique_positions(&b);
    let (o, t) = (interner.side(ours, &b, &first_at), interner.side(theirs, &b, &first_at));
    let n = interner.ids.len() as u32;
    let ours_changes = changes(options.algorithm, &b.tokens, &o.tokens, n);
    let theirs_changes = changes(options.algorithm, &b.tokens, &t.tokens, n);
    if ours_changes.is_empty() {
        return Merged {
            content: theirs.to_vec(),
            conflicted: false,
        };
    }
    if theirs_changes.is_empty() {
        return Merged {
            content: ours.to_vec(),
            conflicted: false,
        };
    }
    let mut regions = combine(&ours_changes, &theirs_changes, &o, &t, b.lines.len());
    match options.style {
        // Showing the base next to the sides makes no sense once the sides are split apart.
        Style::Diff3 => {}
        Style::ZealousDiff3 => trim_shared_ends(&mut regions, &o, &t),
        Style::Merge => {
            regions = refine(regions, &o, &t, options.algorithm, n);
            join_close_conflicts(&mut regions);
        }
    }
    let conflicted = regions.iter().any(|r| r.take == Take::Conflict);
    let content = write(&regions, &b, &o, &t, labels, options);
    Merged { content, conflicted }
}

/// Walk both sides' changes in base order: a change apart from the other side's is taken; overlapping or
/// touching changes conflict unless they are the same change.
fn combine(ours: &[Change], theirs: &[Change], o: &File, t: &File, base_len: usize) -> Vec<Region> {
    let mut regions: Vec<Region> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < ours.len() && j < theirs.len() {
        let (x, y) = (ours[i], theirs[j]);
        if x.b + x.bn < y.b {
            let t_at = y.s + x.b - y.b;
            push(&mut regions, Region::ours(x, t_at));
            i += 1;
            continue;
        }
        if y.b + y.bn < x.b {
            let o_at = x.s + y.b - x.b;
            push(&mut regions, Region::theirs(y, o_at));
            j += 1;
            continue;
        }
        let same =
            x.b == y.b && x.bn == y.bn && x.sn == y.sn && span(&o.tokens, x.s, x.sn) == span(&t.tokens, y.s, y.sn);
        if !same {
            // The conflict spans both changes: widen each side by the base lines only the other change covers.
            let start = x.b.min(y.b);
            let end = (x.b + x.bn).max(y.b + y.bn);
            let o_start = x.s - (x.b - start);
            let t_start = y.s - (y.b - start);
            let o_end = x.s + x.sn + (end - (x.b + x.bn));
            let t_end = y.s + y.sn + (end - (y.b + y.bn));
            push(
                &mut regions,
                Region {
                    take: Take::Conflict,
                    b: start,
                    bn: end - start,
                    o: o_start,
                    on: o_end - o_start,
                    t: t_start,
                    tn: t_end - t_start,
                },
            );
        }
        let (x_end, y_end) = (x.b + x.bn, y.b + y.bn);
        if x_end >= y_end {
            j += 1;
        }
        if y_end >= x_end {
            i += 1;
        }
    }
    let shift = |side: &File| side.lines.len() as isize - base_len as isize;
    for x in &ours[i..] {
        let t_at = x.b + shift(t);
        push(&mut regions, Region::ours(*x, t_at));
    }
    for y in &theirs[j..] {
        let o_at = y.b + shift(o);
        push(&mut regions, Region::theirs(*y, o_at));
    }
    regions
}

/// Diff the two sides of each conflict and keep only what differs between them as conflicts.
fn refine(regions: Vec<Region>, o: &File, t: &File, algorithm: Algorithm, n: u32) -> Vec<Region> {
    let mut out = Vec::with_capacity(regions.len());
    let mut scratch = Vec::new();
    for r in regions {
        if r.take != Take::Conflict || r.on == 0 || r.tn == 0 {
            out.push(r);
            continue;
        }
        if scratch.is_empty() {
            scratch = vec![u32::MAX; n as usize];
        }
        let (ours, theirs, k) = renumber(&mut scratch, span(&o.tokens, r.o, r.on), span(&t.tokens, r.t, r.tn));
        let inner = changes(algorithm, &ours, &theirs, k);
        if inner.is_empty() {
            out.push(Region { take: Take::Same, ..r });
            continue;
        }
        for c in inner {
            out.push(Region {
                take: Take::Conflict,
                o: r.o + c.b,
                on: c.bn,
                t: r.t + c.s,
                tn: c.sn,
                ..r
            });
        }
    }
    out
}

/// Conflicts at most three lines apart become one: the lines between take as much room inside one conflict
/// as they do between two.
fn join_close_conflicts(regions: &mut Vec<Region>) {
    let mut k = 0;
    while k + 1 < regions.len() {
        let (m, next) = (regions[k], regions[k + 1]);
        let gap = next.o - (m.o + m.on);
        if m.take != Take::Conflict || next.take != Take::Conflict || gap > 3 {
            k += 1;
            continue;
        }
        regions[k].on = next.o + next.on - m.o;
        regions[k].tn = next.t + next.tn - m.t;
        regions.remove(k + 1);
    }
}

/// zdiff3: drop the lines both sides share at the start and end of each conflict.
fn trim_shared_ends(regions: &mut [Region], o: &File, t: &File) {
    for r in regions.iter_mut().filter(|r| r.take == Take::Conflict) {
        while r.on > 0 && r.tn > 0 && o.lines[r.o as usize] == t.lines[r.t as usize] {
            r.o += 1;
            r.t += 1;
            r.on -= 1;
            r.tn -= 1;
        }
        while r.on > 0 && r.tn > 0 && o.lines[(r.o + r.on - 1) as usize] == t.lines[(r.t + r.tn - 1) as usize] {
            r.on -= 1;
            r.tn -= 1;
        }
    }
}

/// Whether line `i` of `lines` ends in CRLF (for the last line without an end, the one before); `None`
/// when it cannot be told.
fn ends_crlf(lines: &[&[u8]], i: usize) -> Option<bool> {
    let crlf = |l: &[u8]| l.len() > 1 && l[l.len() - 2] == b'\r';
    if lines.is_empty() {
        return None;
    }
    if i + 1 < lines.len() {
        return Some(crlf(lines[i]));
    }
    let last = lines[i];
    if last.last() == Some(&b'\n') {
        return Some(crlf(last));
    }
    if i == 0 {
        return None;
    }
    Some(crlf(lines[i - 1]))
}

/// Markers and added line ends follow the line endings around the conflict: CRLF only when the line before
/// it on both sides, and the base's first line, end in CRLF.
fn needs_cr(r: &Region, b: &File, o: &File, t: &File) -> bool {
    let mut v = ends_crlf(&o.lines, (r.o - 1).max(0) as usize);
    if v != Some(false) {
        v = ends_crlf(&t.lines, (r.t - 1).max(0) as usize);
    }
    if v != Some(false) {
        v = ends_crlf(&b.lines, 0);
    }
    v.unwrap_or(false)
}

fn copy(out: &mut Vec<u8>, lines: &[&[u8]], cr: bool, add_newline: bool) {
    for l in lines {
        out.extend_from_slice(l);
    }
    if add_newline {
        if let Some(last) = lines.last() {
            if last.last() != Some(&b'\n') {
                if cr {
                    out.push(b'\r');
                }
                out.push(b'\n');
            }
        }
    }
}

fn marker(out: &mut Vec<u8>, c: u8, size: usize, label: Option<&[u8]>, cr: bool) {
    out.extend(std::iter::repeat_n(c, size));
    if let Some(l) = label {
        out.push(b' ');
        out.extend_from_slice(l);
    }
    if cr {
        out.push(b'\r');
    }
    out.push(b'\n');
}

fn write(regions: &[Region], b: &File, o: &File, t: &File, labels: &Labels, options: &Options) -> Vec<u8> {
    let mut out = Vec::new();
    // Ours is the frame: everything outside the regions is copied from it.
    let mut at: isize = 0;
    for r in regions {
        match r.take {
            Take::Same => continue,
            Take::Ours => copy(&mut out, span(&o.lines, at, r.o + r.on - at), false, false),
            Take::Theirs => {
                copy(&mut out, span(&o.lines, at, r.o - at), false, false);
                copy(&mut out, span(&t.lines, r.t, r.tn), false, false);
            }
            Take::Conflict => {
                let cr = needs_cr(r, b, o, t);
                copy(&mut out, span(&o.lines, at, r.o - at), false, false);
                marker(&mut out, b'<', options.marker_size, labels.ours, cr);
                copy(&mut out, span(&o.lines, r.o, r.on), cr, true);
                if options.style != Style::Merge {
                    marker(&mut out, b'|', options.marker_size, labels.base, cr);
                    copy(&mut out, span(&b.lines, r.b, r.bn), cr, true);
                }
                marker(&mut out, b'=', options.marker_size, None, cr);
                copy(&mut out, span(&t.lines, r.t, r.tn), cr, true);
                marker(&mut out, b'>', options.marker_size, labels.theirs, cr);
            }
        }
        at = r.o + r.on;
    }
    copy(&mut out, &o.lines[at as usize..], false, false);
    out
}

/// git treats a blob with a NUL byte in its first 8000 bytes as binary and does not merge its lines.
fn is_binary(data: &[u8]) -> bool {
    data[..data.len().min(8000)].contains(&0)
}

/// One content merge to redo: its conflict's position, gix's result, the (base, ours, theirs) blobs and
/// labels, and the (ours, theirs) paths.
struct Job {
    index: usize,
    previous: ContentMerge,
    data: [Vec<u8>; 3],
    labels: [Vec<u8>; 3],
    at: [BString; 2],
}

impl Job {
    fn run(&self, options: &Options) -> Merged {
        let [b, o, t] = &self.data;
        let [lb, lo, lt] = &self.labels;
        let labels = Labels {
            base: Some(lb),
            ours: Some(lo),
            theirs: Some(lt),
        };
        merge(b, o, t, &labels, options)
    }
}

/// Every job's merge, in job order, over the machine's cores.
fn merge_all(jobs: &[Job], options: &Options) -> Vec<Merged> {
    crate::parallel::map_ordered(jobs, || (), |_, j| j.run(options))
}

/// Redo every text content merge of a gix tree merge (`conflicts`, both resolved and not) with [`merge`],
/// correcting the recorded resolution; returns the edits that put the redone blobs into `merged_tree`.
/// `labels` are (base, ours, theirs); like git, they get `:path` appended when the sides' paths differ.
pub(crate) fn redo_content_merges(
    repo: &Repo,
    conflicts: &mut [Conflict],
    text: &gix_text::Options,
    labels: (&str, &str, &str),
    merged_tree: Oid,
) -> Result<Vec<(BString, Option<Entry>)>> {
    let gix_text::Conflict::Keep { style, marker_size } = text.conflict else {
        return Ok(Vec::new());
    };
    let options = Options {
        algorithm: text.diff_algorithm,
        style: match style {
            gix_text::ConflictStyle::Merge => Style::Merge,
            gix_text::ConflictStyle::Diff3 => Style::Diff3,
            gix_text::ConflictStyle::ZealousDiff3 => Style::ZealousDiff3,
        },
        marker_size: marker_size.get() as usize,
    };
    // Read every blob first (one repository handle), then run the merges, which are independent per file
    // and pure, over all cores, then apply the results in conflict order: the outcome is the same bytes as
    // a sequential run. The blobs are read last conflict first: gix's tree merge has just read them in
    // conflict order, so the last ones are still in the object cache (a least-recently-used one); read
    // first to last, each read would evict the next one needed.
    let mut jobs = Vec::new();
    for (index, conflict) in conflicts.iter().enumerate().rev() {
        let Some(previous) = conflict.content_merge() else {
            continue;
        };
        let [base, ours, theirs] = conflict.entries();
        let (Some(ours), Some(theirs)) = (ours, theirs) else {
            continue;
        };
        let blob_like = |m: gix::objs::tree::EntryMode| m.is_blob();
        if !blob_like(ours.mode) || !blob_like(theirs.mode) || base.is_some_and(|b| !blob_like(b.mode)) {
            continue;
        }
        let base_data = match base {
            Some(b) => repo.blob(b.id)?,
            None => Vec::new(),
        };
        let (ours_data, theirs_data) = (repo.blob(ours.id)?, repo.blob(theirs.id)?);
        if is_binary(&base_data) || is_binary(&ours_data) || is_binary(&theirs_data) {
            continue;
        }
        let (ours_change, theirs_change) = conflict.changes_in_resolution();
        let (ours_at, theirs_at): (BString, BString) =
            (ours_change.location().to_owned(), theirs_change.location().to_owned());
        let base_at: BString = ours_change.source_location().to_owned();
        let label = |side: &str, at: &BString| -> Vec<u8> {
            let mut l = side.as_bytes().to_vec();
            if ours_at != theirs_at {
                l.push(b':');
                l.extend_from_slice(at);
            }
            l
        };
        let labels = [
            label(labels.0, &base_at),
            label(labels.1, &ours_at),
            label(labels.2, &theirs_at),
        ];
        jobs.push(Job {
            index,
            previous,
            data: [base_data, ours_data, theirs_data],
            labels,
            at: [ours_at, theirs_at],
        });
    }
    jobs.reverse();
    let merged = merge_all(&jobs, &options);

    let mut edits = Vec::new();
    for (job, merged) in jobs.into_iter().zip(merged) {
        let (previous, conflict) = (job.previous, &mut conflicts[job.index]);
        let id = repo.write_blob(&merged.content)?;
        let resolution = if merged.conflicted {
            gix::merge::blob::Resolution::Conflict
        } else {
            gix::merge::blob::Resolution::Complete
        };
        if id == previous.merged_blob_id
            && (resolution == gix::merge::blob::Resolution::Conflict)
                == (previous.resolution == gix::merge::blob::Resolution::Conflict)
        {
            continue;
        }
        let redone = ContentMerge {
            merged_blob_id: id,
            resolution,
        };
        let slot = match &mut conflict.resolution {
            Ok(Resolution::OursModifiedTheirsModifiedThenBlobContentMerge { merged_blob }) => merged_blob,
            Ok(Resolution::OursModifiedTheirsRenamedAndChangedThenRename {
                merged_blob: Some(merged_blob),
                ..
            }) => merged_blob,
            _ => continue,
        };
        *slot = redone;
        for at in &job.at {
            if let Some(e) = repo.entry_at(merged_tree, at)? {
                if e.id == previous.merged_blob_id {
                    edits.push((at.clone(), Some(Entry { mode: e.mode, id })));
                    break;
                }
            }
        }
    }
    Ok(edits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(base: &str, ours: &str, theirs: &str) -> (String, bool) {
        let labels = Labels {
            base: Some(b"base"),
            ours: Some(b"ours"),
            theirs: Some(b"theirs"),
        };
        let options = Options {
            algorithm: Algorithm::Histogram,
            style: Style::Merge,
            marker_size: 7,
        };
        let m = merge(base.as_bytes(), ours.as_bytes(), theirs.as_bytes(), &labels, &options);
        (String::from_utf8(m.content).unwrap(), m.conflicted)
    }

    /// Interning a side with the base as a guide gives the tokens plain interning gives, on sides made of
    /// the base's lines with insertions, deletions, replacements and repeated lines.
    #[test]
    fn guided_interning_gives_the_plain_tokens() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..300 {
            let base: Vec<String> = (0..next(40)).map(|_| format!("{}\n", next(12))).collect();
            let side = |next: &mut dyn FnMut(u64) -> u64| -> String {
                let mut out = String::new();
                for l in &base {
                    match next(6) {
                        0 => {}
                        1 => out.push_str(&format!("new {}\n", next(5))),
                        2 => {
                            out.push_str(&format!("{}\n", next(12)));
                            out.push_str(l);
                        }
                        _ => out.push_str(l),
                    }
                }
                out
            };
            let (base, ours, theirs) = (base.concat(), side(&mut next), side(&mut next));
            let mut plain = Interner::with_capacity(0);
            let plain_tokens: Vec<Vec<Token>> = [&base, &ours, &theirs]
                .iter()
                .map(|d| plain.file(d.as_bytes()).tokens)
                .collect();
            let mut guided = Interner::with_capacity(0);
            let b = guided.file(base.as_bytes());
            let first_at = unique_positions(&b);
            let o = guided.side(ours.as_bytes(), &b, &first_at);
            let t = guided.side(theirs.as_bytes(), &b, &first_at);
            assert_eq!(
                vec![b.tokens, o.tokens, t.tokens],
                plain_tokens,
                "{base:?} {ours:?} {theirs:?}"
            );
        }
    }

    #[test]
    fn changes_apart_merge() {
        assert_eq!(
            run("a\nb\nc\nd\n", "A\nb\nc\nd\n", "a\nb\nc\nD\n"),
            ("A\nb\nc\nD\n".into(), false)
        );
    }

    #[test]
    fn touching_changes_conflict() {
        let (text, conflicted) = run("a\nb\n", "A\nb\n", "a\nB\n");
        assert!(conflicted);
        assert_eq!(text, "<<<<<<< ours\nA\nb\n=======\na\nB\n>>>>>>> theirs\n");
    }

    #[test]
    fn a_conflict_is_split_around_the_lines_both_sides_share() {
        let (text, conflicted) = run(
            "x\n",
            "1\nsame\nsame2\nsame3\nsame4\n2\n",
            "3\nsame\nsame2\nsame3\nsame4\n4\n",
        );
        assert!(conflicted);
        assert_eq!(
            text,
            "<<<<<<< ours\n1\n=======\n3\n>>>>>>> theirs\nsame\nsame2\nsame3\nsame4\n<<<<<<< ours\n2\n=======\n4\n>>>>>>> theirs\n"
        );
    }

    #[test]
    fn the_same_change_on_both_sides_is_clean() {
        assert_eq!(run("a\nb\n", "a\nB\nc\n", "a\nB\nc\n"), ("a\nB\nc\n".into(), false));
    }
}
