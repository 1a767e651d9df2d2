//! `cargo xtask fixture kernel DIR [options]`

use std::path::PathBuf;

use xtask::fixture::{kernel, KernelOptions, Size};

const USAGE: &str = "usage: cargo xtask fixture kernel DIR [--size small|large] [--files N] [--commits N]
                                   [--checkout BRANCH | --no-checkout]";

fn value<'a>(args: &'a [String], i: &mut usize, flag: &str) -> Result<&'a str, String> {
    *i += 1;
    args.get(*i)
        .map(String::as_str)
        .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
}

fn number(s: &str, flag: &str) -> Result<usize, String> {
    s.parse().map_err(|_| format!("{flag}: expected a number, got {s:?}"))
}

pub fn run(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("kernel") => {}
        Some(other) => return Err(format!("unknown fixture {other:?}\n{USAGE}")),
        None => return Err(USAGE.to_string()),
    }
    let mut opts = KernelOptions::small();
    let mut dir: Option<PathBuf> = None;
    let mut i = 1;
    while i < args.len() {
        let a = args[i].as_str();
        match a {
            "--size" => opts.size = value(args, &mut i, a)?.parse::<Size>()?,
            "--files" => opts.files = Some(number(value(args, &mut i, a)?, a)?),
            "--commits" => opts.commits = Some(number(value(args, &mut i, a)?, a)?),
            "--checkout" => opts.checkout = Some(value(args, &mut i, a)?.to_string()),
            "--no-checkout" => opts.checkout = None,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ if a.starts_with('-') => return Err(format!("unknown option {a}\n{USAGE}")),
            _ if dir.is_none() => dir = Some(PathBuf::from(a)),
            _ => return Err(format!("unexpected argument {a:?}\n{USAGE}")),
        }
        i += 1;
    }
    let dir = dir.ok_or_else(|| format!("missing DIR\n{USAGE}"))?;
    let fx = kernel(&dir, &opts).map_err(|e| e.to_string())?;
    print!("{}", fx.summary());
    Ok(())
}
