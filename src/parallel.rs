//! Independent jobs over the machine's cores, results in job order: a pick's text merges, a stop's blames.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `run(worker, job)` for every job, in job order, over up to `available_parallelism` threads. Each thread
/// gets its own worker state, made by `worker` on the calling thread (a repository handle, which cannot be
/// shared between threads, say), and takes the next job not yet taken, so one large job does not hold
/// back a share of small ones. One job, or one core: no thread.
pub fn map_ordered<J, R, W>(jobs: &[J], mut worker: impl FnMut() -> W, run: impl Fn(&mut W, &J) -> R + Sync) -> Vec<R>
where
    J: Sync,
    R: Send,
    W: Send,
{
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len());
    if threads <= 1 {
        let mut w = worker();
        return jobs.iter().map(|j| run(&mut w, j)).collect();
    }
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<R>> = (0..jobs.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let (next, run) = (&next, &run);
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let mut w = worker();
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(job) = jobs.get(i) else { break };
                        done.push((i, run(&mut w, job)));
                    }
                    done
                })
            })
            .collect();
        for worker in workers {
            let done = worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            for (i, r) in done {
                results[i] = Some(r);
            }
        }
    });
    results.into_iter().map(|r| r.expect("every job ran")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_job_order_and_each_job_runs_once() {
        let jobs: Vec<u64> = (0..500).collect();
        let ran = AtomicUsize::new(0);
        let out = map_ordered(
            &jobs,
            || 0u64,
            |seen, j| {
                ran.fetch_add(1, Ordering::Relaxed);
                *seen += 1;
                // Uneven jobs, so that threads finish out of order.
                (0..(j % 7) * 1000).fold(*j, |a, b| a.wrapping_add(b % 3))
                    - (0..(j % 7) * 1000).map(|b| b % 3).sum::<u64>()
            },
        );
        assert_eq!(out, jobs);
        assert_eq!(ran.load(Ordering::Relaxed), jobs.len());
        assert!(map_ordered(&Vec::<u8>::new(), || (), |_, j| *j).is_empty());
    }
}
