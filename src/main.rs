fn main() {
    std::process::exit(pq::cli::run());
}
