//! Commits a backport declined: picks that came out empty and picks the user skipped. They are recorded in
//! the state when the backport finishes, so running the same backport again reports them and changes
//! nothing, instead of picking them again on top of later changes; `--retry` tries them again.

use std::collections::HashSet;

use crate::engine::replay::{Outcome, ReportLine, Step};
use crate::git::Oid;
use crate::model::state::{Declined, State};

/// Update `state.declined` from a finished backport's report: new picks that were declined are added (once),
/// picks that now applied are removed. Only new picks count (`steps` with `new`): a replayed patch of the
/// branch that is skipped is a patch dropped from the branch, not an upstream commit declined.
pub fn record(state: &mut State, report: &[ReportLine], steps: &[Step]) {
    let new: HashSet<Oid> = steps.iter().filter(|s| s.new).map(|s| s.source).collect();
    for l in report.iter().filter(|l| new.contains(&l.source)) {
        match l.outcome {
            Outcome::Present | Outcome::Skipped if !state.declined.iter().any(|d| d.commit == l.source) => {
                state.declined.push(Declined {
                    commit: l.source,
                    series: l.series.clone(),
                    subject: l.subject.clone(),
                    reason: l.reason.clone().unwrap_or_else(|| "declined".into()),
                });
            }
            Outcome::Applied | Outcome::Resolved => state.declined.retain(|d| d.commit != l.source),
            _ => {}
        }
    }
}

/// Why an earlier run declined `commit`, if it did.
pub fn find(state: &State, commit: Oid) -> Option<&Declined> {
    state.declined.iter().find(|d| d.commit == commit)
}
