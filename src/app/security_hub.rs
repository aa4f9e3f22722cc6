//! `scan --security-hub`: once the reports are written, the findings as ASFF go into
//! Security Hub (`export::security_hub`); what it refused, or could not be reached, is named.

use super::{Evaluated, Output};
use crate::cli::ScanArgs;
use crate::error::{Error, Result};
use crate::export::security_hub::{self, Delivery};
use crate::report::asff;
use std::collections::BTreeSet;

/// Refusals named one by one; more are counted.
const NAMED: usize = 20;

pub(super) fn deliver(
    out: &Output,
    a: &ScanArgs,
    e: &Evaluated,
    run_id: &str,
) -> Result<Option<Delivery>> {
    if !a.security_hub {
        return Ok(None);
    }
    let opts = a.collect.options().map_err(Error::Usage)?;
    let inv = &e.inventory;
    let c = asff::Context {
        inv,
        rules: &e.rules,
        waivers: &e.waivers,
        run_id,
    };
    let findings: Vec<_> = e
        .evaluation
        .findings
        .iter()
        .filter_map(|f| asff::finding(&c, f))
        .collect();
    let complete: BTreeSet<(String, String)> = inv
        .scopes
        .iter()
        .filter(|s| s.read_completely())
        .map(|s| (s.account_id.clone(), s.region.clone()))
        .collect();
    let now = crate::snapshot::time::rfc3339(inv.as_of);
    out.stage(&format!(
        "importing {} findings into Security Hub",
        findings.len()
    ));
    security_hub::import(&opts, findings, &complete, &now).map(Some)
}

/// What the import did, after the summary; what did not arrive, on stderr.
pub(super) fn tell(out: &Output, d: &Delivery) -> Result<()> {
    for r in d.refused.iter().take(NAMED) {
        out.warn(&format!(
            "Security Hub refused finding {}: {}: {}",
            r.id, r.code, r.message
        ));
    }
    if d.refused.len() > NAMED {
        out.warn(&format!(
            "… and {} more findings refused",
            d.refused.len() - NAMED
        ));
    }
    for (account, region, why) in &d.unreachable {
        out.warn(&format!("Security Hub in {account} {region}: {why}"));
    }
    let missing = if d.complete() {
        String::new()
    } else {
        format!(
            "; {} refused, {} account-regions not reached → exit {}",
            d.refused.len(),
            d.unreachable.len(),
            crate::exit::NOT_DELIVERED
        )
    };
    out.print(&format!(
        "Security Hub: {} findings imported ({} archived: no longer failing){missing}\n",
        d.imported, d.archived
    ))
}
