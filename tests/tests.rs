//! The one integration-test binary: data-driven cases, CLI behaviour, golden outputs, and live
//! collection against a local fake AWS.

mod absent;
mod architecture;
mod asff;
mod cases;
mod changes;
mod cli;
mod collect;
mod collect_direct;
mod collect_org;
mod deploy;
mod fake_aws;
mod formats;
mod gate;
mod golden;
mod history;
mod html;
mod image;
mod inputs;
mod moto;
mod moto_direct;
mod not_judged;
mod planned;
mod props;
mod safety;
mod shapes;
mod shard;
mod stories;
mod stream;
mod synth;
mod terminal;
mod util;
