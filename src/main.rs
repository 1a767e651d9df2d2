fn main() {
    // Like git: a closed pipe (`pq log | head`) ends the process quietly instead of failing a print.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    std::process::exit(pq::cli::run());
}
