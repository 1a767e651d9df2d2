//! On a detached HEAD pq needs a branch; the hint names the one the user most likely means: the branch
//! they left when they detached (HEAD's reflog), else a branch at HEAD, else one pq manages.

use crate::git::Repo;

/// The branch to suggest (short name), if any is found.
pub fn branch_to_suggest(repo: &Repo) -> Option<String> {
    let exists = |b: &str| repo.ref_target(&format!("refs/heads/{b}")).ok().flatten().is_some();
    // `checkout: moving from BRANCH to COMMIT` is how git records a switch away from a branch.
    if let Ok(log) = std::fs::read_to_string(repo.git_dir().join("logs").join("HEAD")) {
        for line in log.lines().rev() {
            let Some((_, msg)) = line.split_once('\t') else {
                continue;
            };
            if let Some(rest) = msg.strip_prefix("checkout: moving from ") {
                if let Some((from, _)) = rest.split_once(" to ") {
                    if exists(from) {
                        return Some(from.to_string());
                    }
                }
            }
        }
    }
    let head = repo.head_commit().ok().flatten();
    let heads = repo.refs_with_prefix("refs/heads/").ok().unwrap_or_default();
    if let Some((name, _)) = heads.iter().find(|(_, id)| Some(*id) == head) {
        return Some(name.trim_start_matches("refs/heads/").to_string());
    }
    let managed = repo.refs_with_prefix("refs/pq/state/").ok().unwrap_or_default();
    managed
        .first()
        .map(|(name, _)| name.trim_start_matches("refs/pq/state/").to_string())
        .filter(|b| exists(b))
}
