//! Findings delivered where security teams already work: AWS Security Hub CSPM
//! (`--security-hub`). Besides `collect`, the only part that talks to AWS, and the only one
//! that writes there: its operations are [`crate::collect::WRITE_OPERATIONS`], granted by an
//! opt-in policy of their own.

pub mod security_hub;
