//! The one integration-test binary: data-driven cases, CLI behaviour and golden outputs.

mod cases;
mod cli;
mod formats;
mod golden;
mod html;
mod util;
