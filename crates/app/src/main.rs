//! The `tribune` command; everything it does is in the library (`cli::run`).

fn main() -> std::process::ExitCode {
    tribune::cli::run()
}
