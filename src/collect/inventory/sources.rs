//! Where each resource type of an account-region's inventory comes from (`--inventory`):
//! AWS Config for the types its recorder records, the type's own API for the others (or for
//! every type that has one, with `direct`), and "unknown" for a type neither can list, so
//! that its resources are NOT_ASSESSED rather than absent. Items are Config-shaped whatever
//! their source; the manifest records the source per type.
//!
//! A type listed directly is one function in its service's file (`s3.rs`, `ec2.rs`, …) plus one
//! entry in [`DIRECT`] and one arm in [`list_direct`].

use super::{
    config_items, fsx_file_systems, gateway_volumes, recorded_types, Recorded, CONFIG_TYPES,
    FSX_FILE_SYSTEM, GATEWAY_VOLUME,
};
use super::{dynamodb, ec2, eks, rds, redshift, s3};
use super::{efs, Place};
use crate::collect::call::{ApiError, Caller};
use crate::collect::options::InventoryMode;
use futures_util::future::join_all;
use serde_json::Value;
use std::collections::BTreeMap;

/// The Config types the collector can also list from their own API: all of them.
pub const DIRECT: [&str; 11] = [
    ec2::VOLUME,
    ec2::INSTANCE,
    efs::FILE_SYSTEM,
    dynamodb::TABLE,
    rds::INSTANCE,
    rds::CLUSTER,
    rds::DOCDB_CLUSTER,
    rds::NEPTUNE_CLUSTER,
    s3::BUCKET,
    redshift::CLUSTER,
    eks::CLUSTER,
];

/// The IAM-style operations that list each direct type, for `explain`.
pub fn direct_operations(resource_type: &str) -> &'static str {
    match resource_type {
        s3::BUCKET => "s3:ListBuckets, GetBucketVersioning, GetBucketTagging",
        efs::FILE_SYSTEM => "elasticfilesystem:DescribeFileSystems",
        ec2::INSTANCE => "ec2:DescribeInstances",
        ec2::VOLUME => "ec2:DescribeVolumes",
        dynamodb::TABLE => "dynamodb:ListTables, DescribeTable, ListTagsOfResource",
        rds::INSTANCE => "rds:DescribeDBInstances",
        rds::CLUSTER | rds::DOCDB_CLUSTER | rds::NEPTUNE_CLUSTER => "rds:DescribeDBClusters",
        redshift::CLUSTER => "redshift:DescribeClusters",
        eks::CLUSTER => "eks:ListClusters, DescribeCluster",
        FSX_FILE_SYSTEM => "fsx:DescribeFileSystems",
        GATEWAY_VOLUME => "storagegateway:ListGateways, ListVolumes, ListTagsForResource",
        _ => "its own API",
    }
}

/// Where a type's items came from, as the manifest's `inventory` records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Config,
    Direct,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Config => "config",
            Source::Direct => "direct",
        }
    }
}

/// The clients the listings use, signed for the account-region.
pub struct DirectClients<'a> {
    pub config: &'a aws_sdk_config::Client,
    pub s3: &'a aws_sdk_s3::Client,
    pub storage_gateway: &'a aws_sdk_storagegateway::Client,
    pub fsx: &'a aws_sdk_fsx::Client,
    pub efs: &'a aws_sdk_efs::Client,
    pub ec2: &'a aws_sdk_ec2::Client,
    pub rds: &'a aws_sdk_rds::Client,
    pub dynamodb: &'a aws_sdk_dynamodb::Client,
    pub redshift: &'a aws_sdk_redshift::Client,
    pub eks: &'a aws_sdk_eks::Client,
}

/// The account-region's inventory: its items (or why none could be read), the types whose
/// listing failed or that nothing lists (their resources are unknown), and each listed
/// type's source.
pub struct Listing {
    pub items: Result<Vec<Value>, ApiError>,
    pub unlisted: Vec<(Vec<&'static str>, ApiError)>,
    pub sources: BTreeMap<&'static str, Source>,
}

/// Which Config types come from Config, which from their own API, and which from nothing.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub config: Vec<&'static str>,
    pub direct: Vec<&'static str>,
    pub unknown: Vec<&'static str>,
}

pub fn plan(mode: InventoryMode, recorded: &Recorded) -> Plan {
    let mut p = Plan::default();
    for t in CONFIG_TYPES {
        let has_direct = DIRECT.contains(&t);
        let recorded = recorded.records(t);
        match mode {
            InventoryMode::Direct | InventoryMode::Auto if has_direct && !recorded => {
                p.direct.push(t)
            }
            InventoryMode::Direct if has_direct => p.direct.push(t),
            _ if recorded => p.config.push(t),
            _ => p.unknown.push(t),
        }
    }
    p
}

/// Whether Config must be asked at all: not when every type comes from its own API.
fn needs_config(mode: InventoryMode) -> bool {
    mode != InventoryMode::Direct || CONFIG_TYPES.iter().any(|t| !DIRECT.contains(t))
}

async fn list_direct(
    resource_type: &str,
    caller: &Caller,
    c: &DirectClients<'_>,
    at: Place<'_>,
    clusters: &rds::SharedClusters,
) -> Result<Vec<Value>, ApiError> {
    match resource_type {
        s3::BUCKET => s3::buckets(caller, c.s3, at).await,
        efs::FILE_SYSTEM => efs::file_systems(caller, c.efs, at).await,
        ec2::INSTANCE => ec2::instances(caller, c.ec2, at).await,
        ec2::VOLUME => ec2::volumes(caller, c.ec2, at).await,
        dynamodb::TABLE => dynamodb::tables(caller, c.dynamodb, at).await,
        rds::INSTANCE => rds::instances(caller, c.rds, at).await,
        rds::CLUSTER | rds::DOCDB_CLUSTER | rds::NEPTUNE_CLUSTER => {
            rds::clusters(caller, c.rds, at, resource_type, clusters).await
        }
        redshift::CLUSTER => redshift::clusters(caller, c.redshift, at).await,
        eks::CLUSTER => eks::clusters(caller, c.eks, at).await,
        other => Err(ApiError {
            code: None,
            message: format!("the collector cannot list {other} directly"),
        }),
    }
}

/// The account-region's inventory. `aggregated`: its slice of a Config aggregator's answer,
/// instead of selecting from the account-region's own Config (whose recorder is still asked
/// what it records). A failed Config call fails the whole inventory as before; a failed
/// direct listing costs only its type.
pub async fn resources(
    caller: &Caller,
    c: &DirectClients<'_>,
    at: Place<'_>,
    mode: InventoryMode,
    aggregated: Option<Result<Vec<Value>, ApiError>>,
) -> Listing {
    let scope = (at.account, at.region);
    let (planned, volumes, fsx) = tokio::join!(
        planned(caller, c, at, mode, aggregated),
        gateway_volumes(caller, c.storage_gateway, at.account, at.region),
        fsx_file_systems(caller, c.fsx, scope.0, scope.1),
    );
    let mut listing = match planned {
        Ok(l) => l,
        Err(e) => {
            return Listing {
                items: Err(e),
                unlisted: Vec::new(),
                sources: BTreeMap::new(),
            }
        }
    };
    for (listed, kind) in [(volumes, GATEWAY_VOLUME), (fsx, FSX_FILE_SYSTEM)] {
        listing.sources.insert(kind, Source::Direct);
        add(&mut listing, kind, listed);
    }
    listing
}

fn add(listing: &mut Listing, kind: &'static str, listed: Result<Vec<Value>, ApiError>) {
    match (listed, &mut listing.items) {
        (Ok(mut more), Ok(items)) => items.append(&mut more),
        (Err(e), _) => listing.unlisted.push((vec![kind], e)),
        _ => {}
    }
}

/// The Config types: what Config records here decides each one's source.
async fn planned(
    caller: &Caller,
    c: &DirectClients<'_>,
    at: Place<'_>,
    mode: InventoryMode,
    aggregated: Option<Result<Vec<Value>, ApiError>>,
) -> Result<Listing, ApiError> {
    if let Some(Err(e)) = aggregated {
        return Err(e); // the aggregator could not read this account-region
    }
    let asked = if needs_config(mode) {
        recorded_types(caller, c.config).await
    } else {
        Ok(Recorded::Off("not asked: --inventory direct".into()))
    };
    let recorded = match asked {
        Ok(r) => r,
        // The aggregator does not say what each source records, so its member's recorder is
        // asked; if it cannot be, the aggregator's items stand for every type, as they did
        // before the collector asked.
        Err(_) if aggregated.is_some() => Recorded::All,
        Err(e) => return Err(e),
    };
    let plan = plan(mode, &recorded);
    let from_config = async {
        match aggregated {
            Some(items) => items.map(|all| {
                all.into_iter()
                    .filter(|i| {
                        let t = i["resourceType"].as_str().unwrap_or_default();
                        plan.config.contains(&t)
                    })
                    .collect()
            }),
            None => config_items(caller, c.config, &plan.config).await,
        }
    };
    let clusters = rds::SharedClusters::new();
    let direct = join_all(
        plan.direct
            .iter()
            .map(|t| list_direct(t, caller, c, at, &clusters)),
    );
    let (items, direct) = tokio::join!(from_config, direct);
    let mut listing = Listing {
        items: Ok(items?),
        unlisted: Vec::new(),
        sources: BTreeMap::new(),
    };
    for t in &plan.config {
        listing.sources.insert(t, Source::Config);
    }
    for (t, listed) in plan.direct.iter().zip(direct) {
        listing.sources.insert(t, Source::Direct);
        add(&mut listing, t, listed);
    }
    if !plan.unknown.is_empty() {
        listing.unlisted.push((
            plan.unknown.clone(),
            not_recorded(&recorded, mode, &plan.unknown),
        ));
    }
    Ok(listing)
}

/// Why types are unknown: Config does not record them, and they are not listed another way.
fn not_recorded(recorded: &Recorded, mode: InventoryMode, types: &[&str]) -> ApiError {
    let how = match mode {
        InventoryMode::Config => "--inventory config lists them from AWS Config only",
        _ => "the collector cannot list them from their own API yet",
    };
    match recorded {
        Recorded::Off(why) => ApiError {
            code: Some("ConfigRecorderNotRecording".into()),
            message: format!("{why}; {how}"),
        },
        _ => ApiError {
            code: Some("ConfigTypeNotRecorded".into()),
            message: format!(
                "AWS Config does not record {} in this region, so those resources are unknown; {how}",
                types.join(", ")
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn only(types: &[&str]) -> Recorded {
        Recorded::Some {
            only: types.iter().map(|t| t.to_string()).collect(),
            all_but: None,
        }
    }

    #[test]
    fn auto_lists_directly_only_what_config_does_not_record() {
        let p = plan(InventoryMode::Auto, &Recorded::All);
        assert_eq!(p.config, CONFIG_TYPES.to_vec());
        assert!(p.direct.is_empty() && p.unknown.is_empty());

        let p = plan(InventoryMode::Auto, &only(&["AWS::EC2::Volume"]));
        assert_eq!(p.config, ["AWS::EC2::Volume"]);
        assert_eq!(p.direct.len(), CONFIG_TYPES.len() - 1);
        assert!(!p.direct.contains(&ec2::VOLUME) && p.direct.contains(&eks::CLUSTER));
        assert!(p.unknown.is_empty());

        let p = plan(InventoryMode::Auto, &Recorded::Off("off".into()));
        assert!(p.config.is_empty() && p.unknown.is_empty());
        assert_eq!(p.direct, CONFIG_TYPES.to_vec());
    }

    #[test]
    fn config_mode_never_lists_directly_and_direct_mode_always_does() {
        let p = plan(InventoryMode::Config, &Recorded::Off("off".into()));
        assert!(p.config.is_empty() && p.direct.is_empty());
        assert_eq!(p.unknown, CONFIG_TYPES.to_vec());

        let p = plan(InventoryMode::Direct, &Recorded::All);
        assert_eq!(p.direct, CONFIG_TYPES.to_vec());
        assert!(p.config.is_empty() && p.unknown.is_empty());
    }

    #[test]
    fn an_exclusion_recorder_records_all_but_what_it_excludes() {
        let r = Recorded::Some {
            only: BTreeSet::new(),
            all_but: Some([s3::BUCKET.to_string()].into()),
        };
        let p = plan(InventoryMode::Auto, &r);
        assert_eq!(p.direct, [s3::BUCKET]);
        assert_eq!(p.config.len(), CONFIG_TYPES.len() - 1);
        assert!(p.unknown.is_empty());
    }

    #[test]
    fn every_config_type_is_listed_directly_and_names_its_operations() {
        let direct: BTreeSet<&str> = DIRECT.into_iter().collect();
        let config: BTreeSet<&str> = CONFIG_TYPES.into_iter().collect();
        assert_eq!(direct, config);
        for t in DIRECT {
            assert!(direct_operations(t).contains(':'), "{t}");
        }
        assert!(
            !needs_config(InventoryMode::Direct),
            "--inventory direct never asks Config"
        );
    }

    #[test]
    fn each_cluster_engine_is_listed_by_exactly_one_type() {
        for (engine, t) in [
            ("aurora-postgresql", rds::CLUSTER),
            ("mysql", rds::CLUSTER),
            ("docdb", rds::DOCDB_CLUSTER),
            ("neptune", rds::NEPTUNE_CLUSTER),
        ] {
            assert_eq!(rds::listed_as(engine), t, "{engine}");
        }
    }
}
