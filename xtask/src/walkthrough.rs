//! The README's walk-through as data: the commands of the `sh` block under "A first walk-through", each with
//! the exit status its comment announces (`exit N`; 0 otherwise). `cargo xtask demo` prints them, and a test
//! runs them on a fresh demo tree, so the README cannot drift from what pq does.

/// One command of the walk-through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The line as written (without its comment).
    pub line: String,
    pub args: Vec<String>,
    pub exit: i32,
}

/// The walk-through's commands, from the README's text.
pub fn steps(readme: &str) -> Result<Vec<Step>, String> {
    let start = readme
        .find("## A first walk-through")
        .ok_or("README.md has no \"A first walk-through\" section")?;
    let rest = &readme[start..];
    let open = rest.find("```sh\n").ok_or("the walk-through has no sh block")? + "```sh\n".len();
    let close = rest[open..]
        .find("```")
        .ok_or("the walk-through's sh block is not closed")?;
    let mut out = Vec::new();
    for raw in rest[open..open + close].lines() {
        let (command, comment) = match raw.find(" #") {
            Some(i) => (&raw[..i], &raw[i + 2..]),
            None => (raw, ""),
        };
        let command = command.trim();
        if command.is_empty() || command.starts_with('#') {
            continue;
        }
        if command.contains(['\'', '"', '`', '|', '&', ';', '$', '>', '<']) {
            return Err(format!("walk-through line {raw:?}: keep commands to plain words"));
        }
        let exit = comment
            .split("exit ")
            .nth(1)
            .and_then(|t| t.chars().next())
            .and_then(|c| c.to_digit(10))
            .map_or(0, |d| d as i32);
        out.push(Step {
            line: command.to_string(),
            args: command.split_whitespace().map(str::to_string).collect(),
            exit,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_commands_and_expected_exits() {
        let readme = "x\n## A first walk-through\n\n```sh\ncd demo   # go\npq backport a..b p   # exit 1 at a conflict\n\npq log\n```\n";
        let s = super::steps(readme).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].args, ["cd", "demo"]);
        assert_eq!((s[1].exit, s[2].exit), (1, 0));
    }
}
