//! What a long collection shows: a progress bar on a terminal, plain lines otherwise,
//! nothing with `-q`. The counters also feed the closing summary and the benchmark.

use crate::terminal::escape;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Counters of a collection, or of one account-region: a scope's own `Stats` also counts
/// into the collection's (its parent), so a scope's line shows its own work and the closing
/// summary the whole.
#[derive(Debug, Default)]
pub struct Stats {
    calls: AtomicU64,
    attempts: AtomicU64,
    errors: AtomicU64,
    operations: Mutex<BTreeSet<String>>,
    parent: Option<Arc<Stats>>,
}

impl Stats {
    /// Counters of one part of the work that also count into `parent`.
    pub fn within(parent: Arc<Stats>) -> Stats {
        Stats {
            parent: Some(parent),
            ..Stats::default()
        }
    }

    pub fn call(&self) {
        self.calls.fetch_add(1, Relaxed);
        if let Some(p) = &self.parent {
            p.call();
        }
    }

    pub fn attempt(&self, operation: Option<String>) {
        self.attempts.fetch_add(1, Relaxed);
        if let Some(p) = &self.parent {
            p.attempt(operation.clone());
        }
        if let Some(op) = operation {
            self.operations.lock().expect("not poisoned").insert(op);
        }
    }

    /// Counts what retries did not cure: files that could not be read, accounts not entered.
    pub fn failed(&self, n: usize) {
        self.errors.fetch_add(n as u64, Relaxed);
        if let Some(p) = &self.parent {
            p.failed(n);
        }
    }

    /// API operations (first attempts, not retries).
    pub fn calls(&self) -> u64 {
        self.calls.load(Relaxed)
    }

    /// HTTP requests sent, retries included.
    pub fn attempts(&self) -> u64 {
        self.attempts.load(Relaxed)
    }

    pub fn retries(&self) -> u64 {
        self.attempts().saturating_sub(self.calls())
    }

    pub fn errors(&self) -> u64 {
        self.errors.load(Relaxed)
    }

    /// `service:Operation` names actually called, e.g. `backup:ListBackupPlans`.
    pub fn operations(&self) -> Vec<String> {
        self.operations
            .lock()
            .expect("not poisoned")
            .iter()
            .cloned()
            .collect()
    }

    fn line(&self) -> String {
        format!(
            "{} calls, {} retries, {} errors",
            self.calls(),
            self.retries(),
            self.errors()
        )
    }
}

pub enum Progress {
    Quiet,
    /// Not a terminal (CI logs): one line per finished scope.
    Lines,
    Bar(ProgressBar),
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        if quiet {
            Progress::Quiet
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {prefix} [{bar:30}] {pos}/{len} account-regions · {msg} · {elapsed}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.set_prefix("collecting");
            bar.enable_steady_tick(Duration::from_millis(120));
            Progress::Bar(bar)
        } else {
            Progress::Lines
        }
    }

    /// Text quoting AWS (account names, error messages) is escaped for the terminal.
    pub fn note(&self, text: &str) {
        let text = &*escape(text);
        match self {
            Progress::Quiet => {}
            Progress::Lines => eprintln!("{text}"),
            Progress::Bar(b) => b.println(text),
        }
    }

    pub fn add_scopes(&self, n: u64) {
        if let Progress::Bar(b) = self {
            b.inc_length(n);
        }
    }

    /// One account-region finished; `what` says how it went. A line shows that scope's own
    /// counts (`scope`), the bar the collection's running totals (`total`).
    pub fn scope_done(&self, scope: &Stats, total: &Stats, what: &str) {
        let what = &*escape(what);
        match self {
            Progress::Quiet => {}
            Progress::Lines => eprintln!("{what} ({})", scope.line()),
            Progress::Bar(b) => {
                b.inc(1);
                b.set_message(total.line());
                if !what.ends_with(": complete") {
                    b.println(what);
                }
            }
        }
    }

    pub fn finish(&self) {
        if let Progress::Bar(b) = self {
            b.finish_and_clear();
        }
    }
}
