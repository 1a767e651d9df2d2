//! Rendering shared by the queue-editing commands (`pq series new|rename|drop|order`, `pq move`, `pq drop`,
//! `pq reword`): what was replayed or removed, the series in their new order, or the stop.

use crate::cli::output::{render_lines, render_stop};
use crate::cli::{Output, EXIT_OK, EXIT_STOPPED};
use crate::engine::replay::Outcome;
use crate::ops::count;
use crate::ops::queue::QueueReport;

/// Print a queue edit's report; `done` is the line said when it finished (e.g. "dropped 2 patch(es)").
pub fn report(out: &Output, r: &QueueReport, done: &str) -> crate::Result<i32> {
    if out.json() {
        out.print_json(&super::json::QueueEdit {
            changed: !r.unchanged,
            series: r.series.clone(),
            patches: super::json::lines(&r.lines),
            stopped: super::json::stopped(r.stopped.as_ref()),
            head: r.new_head.as_ref().map(super::json::id),
        });
    } else if r.unchanged {
        println!("nothing to change: the queue already is as asked");
    } else {
        print!("{}", render_lines(&r.lines, false));
        match &r.stopped {
            Some(s) => eprint!("{}", render_stop("queue edit", s)),
            None => {
                let replayed = count(&r.lines, Outcome::Applied) + count(&r.lines, Outcome::Resolved);
                println!("{done}; {replayed} patch(es) replayed");
                println!("series: {}", r.series.join(", "));
            }
        }
    }
    Ok(if r.stopped.is_some() { EXIT_STOPPED } else { EXIT_OK })
}
