//! backup-auditor: decides, for every resource of an AWS organisation, whether AWS Backup
//! really protects it and how well, and checks that against declarative rules.
//!
//! The modules follow the pipeline: [`collect`] (live, async, the only networked part) →
//! [`snapshot`] (the replay boundary) → [`model`] (AWS
//! Backup semantics) → [`rules`] / [`engine`] (pure, parallel evaluation) → [`findings`] →
//! [`report`]. [`exit`] computes the exit code from the findings, in one place. [`change`]
//! lays a planned change (a Terraform plan) over a snapshot, to judge it before it is applied.

pub mod app;
pub mod change;
pub mod cli;
pub mod collect;
pub mod dest;
pub mod digest;
pub mod engine;
pub mod error;
pub mod exit;
pub mod export;
pub mod findings;
pub mod history;
pub mod input;
pub mod model;
pub mod parquet;
pub mod report;
pub mod rules;
pub mod shard;
pub mod snapshot;
pub mod synth;
pub mod terminal;
pub mod threads;
