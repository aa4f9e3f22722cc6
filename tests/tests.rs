//! The one integration-test binary: data-driven cases, CLI behaviour and golden outputs.

mod cli;
mod util;
