use backup_auditor::terminal::escape;
use backup_auditor::{app, cli::Cli, exit};
use clap::Parser;
use std::process::ExitCode;

/// A streamed scan allocates and frees a batch of account-regions at a time, on every core:
/// mimalloc's per-thread heaps do that faster than glibc's arenas, and keep the peak that of
/// one batch, where glibc's heap grew with the number of batches (README, "Benchmarks").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    backup_auditor::threads::configure();
    match app::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // Errors quote the input (names, tag values, AWS messages): escaped, line by line.
            let lines: Vec<String> = e.lines().iter().map(|l| escape(l).into_owned()).collect();
            eprintln!("error: {}", lines.join("\n"));
            ExitCode::from(exit::INPUT_ERROR)
        }
    }
}
