//! A scope's resources (`resources.json`, AWS Config configuration items) and, for each backup
//! target among them, which plan protects it.

use super::out::ts;
use super::place::Place;
use super::points::{Protect, Target};
use super::{pick, Account};
use fastrand::Rng;
use serde::Serialize;
use serde_json::{json, Value};

const OWNERS: [&str; 4] = [
    "platform@acme.example",
    "data@acme.example",
    "sre@acme.example",
    "web@acme.example",
];

/// An AWS Config configuration item, as `SelectResourceConfig` returns it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ConfigItem<'a> {
    resource_type: &'static str,
    resource_id: String,
    resource_name: String,
    arn: String,
    account_id: &'a str,
    aws_region: &'a str,
    tags: Vec<Tag>,
    configuration: Value,
    /// S3 only: versioning, which AWS Backup requires (every synthetic bucket has it on).
    #[serde(skip_serializing_if = "Option::is_none")]
    supplementary_configuration: Option<Value>,
}

#[derive(Serialize)]
struct Tag {
    key: &'static str,
    value: &'static str,
}

/// A Config resource type, and its AWS Backup resource type unless it is backed up through
/// something else (cluster members).
type Kind = (&'static str, Option<&'static str>);
const INSTANCE: Kind = ("AWS::EC2::Instance", Some("EC2"));
const VOLUME: Kind = ("AWS::EC2::Volume", Some("EBS"));
pub(super) const DB: Kind = ("AWS::RDS::DBInstance", Some("RDS"));
const MEMBER: Kind = ("AWS::RDS::DBInstance", None);
pub(super) const TABLE: Kind = ("AWS::DynamoDB::Table", Some("DynamoDB"));
pub(super) const BUCKET: Kind = ("AWS::S3::Bucket", Some("S3"));
pub(super) const EFS: Kind = ("AWS::EFS::FileSystem", Some("EFS"));
pub(super) const FSX: Kind = ("AWS::FSx::FileSystem", Some("FSx"));
pub(super) const REDSHIFT: Kind = ("AWS::Redshift::Cluster", Some("Redshift"));
pub(super) const GATEWAY_VOLUME: Kind = ("AWS::StorageGateway::Volume", Some("Storage Gateway"));

/// Resource generation state of one account-region, and what it generated.
pub(super) struct Resources<'a> {
    /// The scope's random stream, handed back when generation is done.
    pub(super) rng: Rng,
    acct: &'a Account,
    region: &'a str,
    /// Counter that makes names and ids unique in the scope.
    n: u64,
    pub(super) items: Vec<ConfigItem<'a>>,
    pub(super) targets: Vec<Target>,
    /// The ARNs the legacy plan selects explicitly, while `legacy_open` (at most six).
    pub(super) legacy: Vec<String>,
    legacy_open: bool,
    opt_in: Vec<(&'static str, bool)>,
}

/// What every item of a unit shares, drawn before its kind, and where it is.
struct Draw<'a> {
    acc: &'a str,
    reg: &'a str,
    az: String,
    /// app, env, backup, owner; backup "" = no tag.
    tags: [&'static str; 4],
    enc: bool,
    size: i32,
    /// The unit's number in the scope, which makes its names unique.
    n: u64,
}

impl Draw<'_> {
    /// `app-env-what-n`, the name most resources get.
    fn name(&self, what: &str) -> String {
        format!("{}-{}-{what}-{}", self.tags[0], self.tags[1], self.n)
    }

    /// The ARN of `resource` of `service` in the unit's account and region.
    fn arn(&self, service: &str, resource: &str) -> String {
        format!("arn:aws:{service}:{}:{}:{resource}", self.reg, self.acc)
    }
}

impl<'a> Resources<'a> {
    /// Draws items until there are `opts.resources_per_scope`. `legacy_plan`: whether the scope
    /// has a legacy plan to select some EC2 instances and EFS file systems explicitly.
    pub(super) fn generate(
        rng: Rng,
        at: &Place<'a>,
        legacy_plan: bool,
        opt_in: Vec<(&'static str, bool)>,
    ) -> Resources<'a> {
        let per_scope = at.opts.resources_per_scope;
        let mut s = Resources {
            rng,
            acct: at.acct,
            region: at.reg,
            n: 0,
            items: Vec::with_capacity(per_scope),
            targets: Vec::new(),
            legacy: Vec::new(),
            legacy_open: legacy_plan,
            opt_in,
        };
        while s.items.len() < per_scope {
            s.unit(per_scope - s.items.len());
        }
        s
    }

    /// A fresh 17-hex-digit id, unique in the scope.
    fn id(&mut self) -> String {
        self.n += 1;
        format!("{:08x}{:09x}", self.rng.u32(..), self.n)
    }

    /// Adds one configuration item (`tags` = app, env, backup, owner; backup "" = no tag) and,
    /// if it is a backup target, its protection.
    fn item(
        &mut self,
        kind: Kind,
        id: &str,
        name: &str,
        arn: String,
        tags: [&'static str; 4],
        config: Value,
    ) {
        let (ty, btype) = kind;
        let [app, env, backup, owner] = tags;
        let tag = |key, value| Tag { key, value };
        let mut tag_list = vec![tag("app", app), tag("env", env), tag("owner", owner)];
        if !backup.is_empty() {
            tag_list.push(tag("backup", backup));
        }
        let encrypted = ["encrypted", "storageEncrypted", "Encrypted"]
            .iter()
            .all(|k| config[k] != false);
        self.items.push(ConfigItem {
            resource_type: ty,
            resource_id: id.into(),
            resource_name: name.into(),
            arn: arn.clone(),
            account_id: &self.acct.id,
            aws_region: self.region,
            tags: tag_list,
            configuration: config,
            supplementary_configuration: (ty == BUCKET.0).then(|| {
                json!({"BucketVersioningConfiguration": {"status": "Enabled", "isMfaDeleteEnabled": null}})
            }),
        });
        let Some(btype) = btype else { return };
        let protect = self.protection(btype, name, &arn, env, backup);
        self.targets.push(Target {
            arn,
            name: name.into(),
            btype,
            protect,
            encrypted,
        });
    }

    /// Which plan selects a target, as the scope's selections will: by tag (if its type is
    /// opted in), by ARN pattern, or explicitly by the legacy plan.
    fn protection(
        &mut self,
        btype: &'static str,
        name: &str,
        arn: &str,
        env: &str,
        backup: &str,
    ) -> Protect {
        let opted_in = self.opt_in.iter().any(|&(t, on)| on && t == btype);
        let by_arn = matches!(
            btype,
            "RDS" | "Aurora" | "DocumentDB" | "Neptune" | "DynamoDB"
        ) && !name.ends_with("-scratch")
            && !name.starts_with("tmp-");
        let legacy = self.legacy_open && matches!(btype, "EC2" | "EFS") && self.rng.u8(..4) == 0;
        match backup {
            "daily" if opted_in && env != "sandbox" => Protect::Daily,
            "weekly" if opted_in => Protect::Weekly,
            // Resource-type ARNs need no opt-in, except for Aurora, DocumentDB and Neptune.
            _ if by_arn && (opted_in || matches!(btype, "RDS" | "DynamoDB")) => Protect::Db,
            "none" | "" if legacy => {
                self.legacy.push(arn.into());
                self.legacy_open = self.legacy.len() < 6;
                Protect::Legacy
            }
            _ => Protect::None,
        }
    }

    /// Adds one unit of at most `room` items: a resource, an instance with its volumes or a
    /// cluster with its members. Item shares: EBS ~35%, EC2 ~20%, S3 ~12%, DynamoDB ~10%,
    /// RDS ~8% (+3% cluster members), EFS ~5%, clusters, FSx, Redshift, Storage Gateway 1-3%.
    fn unit(&mut self, room: usize) {
        let (roll, d) = self.draw();
        match roll {
            0..=19 => self.instance(room, &d),
            33..=34 if room >= 3 => self.cluster(&d),
            20..=24 => self.volume(&d),
            25..=32 => self.database(&d),
            33..=44 => self.table(&d),
            45..=56 => self.bucket(&d),
            57..=61 => self.efs(&d),
            62..=63 => self.fsx(&d),
            64..=65 => self.redshift(&d),
            _ => self.gateway_volume(&d),
        }
    }

    /// Draws what a unit's items share, and the roll that chooses its kind.
    fn draw(&mut self) -> (u8, Draw<'a>) {
        let rng = &mut self.rng;
        let az = format!("{}{}", self.region, pick(rng, &["a", "b", "c"]));
        let app = pick(rng, &self.acct.apps);
        let env = if rng.u8(..100) < 3 {
            "sandbox"
        } else {
            self.acct.env
        };
        let backup = match rng.u8(..20) {
            0..=10 => "daily",
            11..=14 => "weekly",
            15..=16 => "none",
            _ => "",
        };
        let tags = [app, env, backup, pick(rng, &OWNERS)];
        let enc = rng.u8(..100) < 90;
        let size = 8 << rng.u32(0..7);
        let roll = rng.u8(..68);
        self.n += 1;
        let d = Draw {
            acc: &self.acct.id,
            reg: self.region,
            az,
            tags,
            enc,
            size,
            n: self.n,
        };
        (roll, d)
    }

    /// An unattached volume.
    fn volume(&mut self, d: &Draw) {
        let v = format!("vol-{}", self.id());
        let config = json!({"volumeId": v, "size": d.size, "volumeType": "gp2", "encrypted": d.enc,
            "state": "available", "availabilityZone": d.az, "attachments": []});
        let arn = d.arn("ec2", &format!("volume/{v}"));
        self.item(VOLUME, &v, &v, arn, d.tags, config);
    }

    /// An RDS instance, sometimes a scratch one that the ARN selection excludes.
    fn database(&mut self, d: &Draw) {
        let engines = ["postgres", "mysql", "mariadb", "sqlserver-se", "oracle-ee"];
        let engine = pick(&mut self.rng, &engines);
        let scratch = if self.rng.u8(..10) == 0 {
            "-scratch"
        } else {
            ""
        };
        let name = d.name(engine) + scratch;
        let config = json!({"dBInstanceIdentifier": name, "engine": engine,
            "dBInstanceClass": "db.r6g.large", "dBInstanceStatus": "available",
            "storageEncrypted": d.enc, "availabilityZone": d.az});
        let id = format!("db-{:026X}", self.rng.u128(..) >> 24);
        let arn = d.arn("rds", &format!("db:{name}"));
        self.item(DB, &id, &name, arn, d.tags, config);
    }

    /// A DynamoDB table, sometimes a `tmp-` one that the ARN selection excludes.
    fn table(&mut self, d: &Draw) {
        let name = if self.rng.u8(..10) == 0 {
            format!("tmp-{}-{}", d.tags[0], d.n)
        } else {
            d.name("table")
        };
        let arn = d.arn("dynamodb", &format!("table/{name}"));
        let config = json!({"tableName": name, "tableStatus": "ACTIVE", "tableArn": arn,
            "billingModeSummary": {"billingMode": "PAY_PER_REQUEST"}});
        self.item(TABLE, &name, &name, arn, d.tags, config);
    }

    fn bucket(&mut self, d: &Draw) {
        // Bucket names are global: the account and region keep them unique.
        let name = d.name(&format!("{}-{}", d.acc, d.reg));
        let created = ts(1_600_000_000_000 + self.rng.i64(0..150_000_000_000));
        let config = json!({"name": name, "creationDate": created});
        let arn = format!("arn:aws:s3:::{name}");
        self.item(BUCKET, &name, &name, arn, d.tags, config);
    }

    fn efs(&mut self, d: &Draw) {
        let id = format!("fs-{}", self.id());
        let config = json!({"FileSystemId": id, "Encrypted": d.enc,
            "PerformanceMode": "generalPurpose", "ThroughputMode": "elastic"});
        let arn = d.arn("elasticfilesystem", &format!("file-system/{id}"));
        self.item(EFS, &id, &d.name("share"), arn, d.tags, config);
    }

    fn fsx(&mut self, d: &Draw) {
        let id = format!("fs-{}", self.id());
        let fs_type = pick(&mut self.rng, &["WINDOWS", "LUSTRE", "ONTAP", "OPENZFS"]);
        let config =
            json!({"FileSystemId": id, "FileSystemType": fs_type, "StorageCapacity": 1024});
        let arn = d.arn("fsx", &format!("file-system/{id}"));
        self.item(FSX, &id, &d.name("fsx"), arn, d.tags, config);
    }

    fn redshift(&mut self, d: &Draw) {
        let name = d.name("dw");
        let config = json!({"clusterIdentifier": name, "nodeType": "ra3.xlplus",
            "numberOfNodes": 2, "encrypted": d.enc, "clusterStatus": "available"});
        let arn = d.arn("redshift", &format!("cluster:{name}"));
        self.item(REDSHIFT, &name, &name, arn, d.tags, config);
    }

    fn gateway_volume(&mut self, d: &Draw) {
        let vol = format!("vol-{}", self.id().to_uppercase());
        let gateway = format!("sgw-{:08X}", self.rng.u32(..));
        let arn = d.arn("storagegateway", &format!("gateway/{gateway}/volume/{vol}"));
        let config = json!({"VolumeARN": arn, "VolumeId": vol, "VolumeType": "CACHED",
            "VolumeSizeInBytes": 107_374_182_400u64});
        self.item(GATEWAY_VOLUME, &vol, &vol, arn, d.tags, config);
    }

    /// An EC2 instance with 1-3 attached volumes (fewer if `room` is short).
    fn instance(&mut self, room: usize, d: &Draw) {
        let vols = pick(&mut self.rng, &[1, 1, 1, 1, 1, 1, 2, 2, 2, 3]).min(room - 1);
        let id = format!("i-{}", self.id());
        let vol_ids: Vec<String> = (0..vols).map(|_| format!("vol-{}", self.id())).collect();
        let devices = ["/dev/xvda", "/dev/xvdb", "/dev/xvdc"];
        let mut mappings = Vec::new();
        for (v, dev) in vol_ids.iter().zip(devices) {
            let ebs = json!({"volumeId": v, "status": "attached", "deleteOnTermination": true});
            mappings.push(json!({"deviceName": dev, "ebs": ebs}));
        }
        let (code, state) = if self.rng.u8(..10) == 0 {
            (80, "stopped")
        } else {
            (16, "running")
        };
        let name = d.name(pick(&mut self.rng, &["web", "worker", "batch", "api"]));
        let config = json!({"instanceId": id, "instanceType": "m6i.large",
            "state": {"code": code, "name": state}, "placement": {"availabilityZone": d.az},
            "blockDeviceMappings": mappings});
        let arn = d.arn("ec2", &format!("instance/{id}"));
        self.item(INSTANCE, &id, &name, arn, d.tags, config);
        for (v, dev) in vol_ids.iter().zip(devices) {
            // Volumes carry the instance's tags, but seldom its backup tag.
            let mut tags = d.tags;
            tags[2] = if self.rng.u8(..10) < 3 { d.tags[2] } else { "" };
            let size = 8 << self.rng.u32(0..7);
            let attachment = json!({"instanceId": id, "device": dev, "state": "attached", "deleteOnTermination": true});
            let config = json!({"volumeId": v, "size": size, "volumeType": "gp3", "encrypted": d.enc,
                "state": "in-use", "availabilityZone": d.az, "attachments": [attachment]});
            let arn = d.arn("ec2", &format!("volume/{v}"));
            self.item(VOLUME, v, v, arn, tags, config);
        }
    }

    /// An Aurora, DocumentDB or Neptune cluster with a writer and a reader instance.
    fn cluster(&mut self, d: &Draw) {
        let (engine, btype) = pick(
            &mut self.rng,
            &[
                ("aurora-postgresql", "Aurora"),
                ("aurora-postgresql", "Aurora"),
                ("aurora-mysql", "Aurora"),
                ("docdb", "DocumentDB"),
                ("neptune", "Neptune"),
            ],
        );
        let cluster = d.name(&btype.to_lowercase());
        let members = [
            format!("{cluster}-instance-1"),
            format!("{cluster}-instance-2"),
        ];
        let config = json!({"dbclusterIdentifier": cluster, "engine": engine, "status": "available",
            "storageEncrypted": d.enc, "dbclusterMembers": [
                {"dbinstanceIdentifier": members[0], "isClusterWriter": true},
                {"dbinstanceIdentifier": members[1], "isClusterWriter": false}]});
        let id = format!("cluster-{:026X}", self.rng.u128(..) >> 24);
        let arn = d.arn("rds", &format!("cluster:{cluster}"));
        let kind = ("AWS::RDS::DBCluster", Some(btype));
        self.item(kind, &id, &cluster, arn, d.tags, config);
        for m in &members {
            let config = json!({"dBInstanceIdentifier": m, "engine": engine,
                "dBInstanceClass": "db.r6g.large", "dBInstanceStatus": "available",
                "dBClusterIdentifier": cluster, "storageEncrypted": d.enc});
            let id = format!("db-{:026X}", self.rng.u128(..) >> 24);
            let arn = d.arn("rds", &format!("db:{m}"));
            self.item(MEMBER, &id, m, arn, d.tags, config);
        }
    }
}
