//! The index as pq reads and writes it within one command.
//!
//! gix keeps one shared snapshot of the index and reloads it only when the file's modification time has
//! moved past the snapshot's. pq replaces the index several times in one command (`pq bump` brings the
//! current branch's work tree along, checks another branch out, then writes a conflict there), and on a
//! file system with coarse timestamps (a second on FAT or ext4 with small inodes, some network file
//! systems, a clock tick on older kernels) two of those writes can carry the same time: gix would hand back
//! the index from before the second write, and pq would build the next one on stale entries (a file of
//! the branch it left, still staged on the one it stopped on). So pq keeps the index it wrote and reads
//! that back; gix's snapshot serves only until pq's first write.

use crate::error::{Result, ResultExt};
use crate::git::Repo;

impl Repo {
    /// The index as it is now: the one pq last wrote in this command, else the file on disk.
    pub fn index(&self) -> Result<gix::worktree::Index> {
        if let Some(index) = self.written_index.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            return Ok(index);
        }
        self.inner.index_or_empty().ctx("reading the index")
    }

    /// An editable copy of the index (see [`Repo::index`]).
    pub fn index_to_edit(&self) -> Result<gix::index::File> {
        let shared = self.index()?;
        let index: &gix::index::File = &shared;
        Ok(index.clone())
    }

    /// Write `index` to its file (noting the lock file first, for a kill), and read it back from memory
    /// from now on.
    pub fn write_index(&self, mut index: gix::index::File) -> Result<()> {
        crate::lock::note_git_locks(self.git_dir(), &["index.lock".to_string()])?;
        index
            .write(gix::index::write::Options::default())
            .ctx("writing the index")?;
        *self.written_index.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(gix::worktree::Index::new(gix::fs::FileSnapshot::new(index)));
        Ok(())
    }

    /// The index file was replaced other than by [`Repo::write_index`] (a saved copy put back): read the
    /// file itself from now on, whatever its modification time says.
    pub fn reload_index(&self) -> Result<()> {
        let fresh = match self.inner.open_index() {
            Ok(index) => index,
            Err(_) if !self.inner.index_path().exists() => gix::index::File::from_state(
                gix::index::State::new(self.inner.object_hash()),
                self.inner.index_path(),
            ),
            Err(e) => return Err(e).ctx("reading the index"),
        };
        *self.written_index.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(gix::worktree::Index::new(gix::fs::FileSnapshot::new(fresh)));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::git::test_git::git;
    use crate::git::{Oid, Repo};

    fn tree(dir: &Path, files: &[(&str, &str)]) -> Oid {
        git(dir, &["rm", "-rq", "--cached", "--ignore-unmatch", "."]);
        for (name, content) in files {
            std::fs::write(dir.join(name), content).unwrap();
            git(dir, &["add", name]);
        }
        Oid::from_hex(git(dir, &["write-tree"]).trim().as_bytes()).unwrap()
    }

    fn paths(repo: &Repo) -> Vec<String> {
        let index = repo.index().unwrap();
        index.entries().iter().map(|e| e.path(&index).to_string()).collect()
    }

    /// Two index writes with the same modification time (as on a file system with coarse timestamps): the
    /// second checkout still starts from the index the first one wrote, and the third from the second's.
    #[test]
    fn index_writes_in_the_same_tick_are_read_back() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        git(dir, &["init", "-q", "-b", "main"]);
        let a = tree(dir, &[("a.c", "a\n"), ("g.c", "g\n")]);
        let b = tree(dir, &[("a.c", "a\n"), ("b.c", "b\n")]);
        let c = tree(dir, &[("a.c", "a\n"), ("b.c", "b\n"), ("c.c", "c\n")]);
        git(dir, &["read-tree", "-u", "--reset", &a.to_string()]);
        let repo = Repo::discover(dir).unwrap();
        let index_file = repo.git_dir().join("index");
        let stamp = |p: &Path| std::fs::metadata(p).unwrap().modified().unwrap();

        assert_eq!(paths(&repo), ["a.c", "g.c"]);
        crate::git::worktree::checkout(&repo, a, b, None).unwrap();
        let first = stamp(&index_file);
        assert_eq!(paths(&repo), ["a.c", "b.c"]);
        crate::git::worktree::checkout(&repo, b, c, None).unwrap();
        // The second write lands in the same tick as the first.
        std::fs::File::options()
            .write(true)
            .open(&index_file)
            .unwrap()
            .set_modified(first)
            .unwrap();
        assert_eq!(paths(&repo), ["a.c", "b.c", "c.c"]);
        crate::git::worktree::checkout(&repo, c, b, None).unwrap();
        assert_eq!(paths(&repo), ["a.c", "b.c"]);
        assert!(!dir.join("g.c").exists() && !dir.join("c.c").exists());
        // The work tree agrees with that index, as git sees it.
        assert_eq!(git(dir, &["diff", "--name-status"]), "");

        // An index put back by copying (abort restores the saved one) is read from the file.
        std::fs::copy(&index_file, dir.join("saved")).unwrap();
        crate::git::worktree::checkout(&repo, b, c, None).unwrap();
        std::fs::copy(dir.join("saved"), &index_file).unwrap();
        std::fs::remove_file(dir.join("saved")).unwrap();
        repo.reload_index().unwrap();
        assert_eq!(paths(&repo), ["a.c", "b.c"]);
    }
}
