//! Public parameters: the parts of `/aws/service/` AWS publishes to every account that
//! LocalEmu ships (global infrastructure: regions and services), read-only, per partition;
//! and the CDK bootstrap version every account starts with.

use crate::domain::Namespace;
use crate::generated::ssm as g;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

pub(super) const ROOT: &str = "/aws/service/";
const BASE: &str = "/aws/service/global-infrastructure";

#[derive(Default, Deserialize)]
struct Data {
    updated: String,
    partitions: BTreeMap<String, String>,
    /// Code, long name, partition.
    regions: Vec<(String, String, String)>,
    /// Code, long name, marketing page.
    services: Vec<(String, String, String)>,
}

/// Every public parameter of one partition, by name.
type Table = BTreeMap<String, String>;

struct Public {
    /// When the shipped data was taken, as each parameter's LastModifiedDate (ms).
    updated: i64,
    tables: BTreeMap<String, Table>,
}

fn build() -> Public {
    // The data is checked by a unit test; were it broken, the namespace would be empty
    // rather than the server down.
    let data: Data = serde_json::from_str(include_str!("global_infrastructure.json"))
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "the shipped public parameters do not parse");
            Data::default()
        });
    let updated = time::OffsetDateTime::parse(
        &data.updated,
        &time::format_description::well_known::Rfc3339,
    )
    .map_or(0, |t| t.unix_timestamp() * 1000);
    let mut tables = BTreeMap::new();
    for (partition, domain) in &data.partitions {
        let mut t = Table::new();
        let regions: Vec<_> = data
            .regions
            .iter()
            .filter(|(_, _, p)| p == partition)
            .collect();
        for (code, long, _) in &regions {
            let r = format!("{BASE}/regions/{code}");
            t.insert(r.clone(), code.clone());
            t.insert(format!("{r}/longName"), long.clone());
            t.insert(format!("{r}/partition"), partition.clone());
            t.insert(format!("{r}/domain"), domain.clone());
            for (service, _, _) in &data.services {
                t.insert(format!("{r}/services/{service}"), service.clone());
            }
        }
        for (code, long, url) in &data.services {
            let s = format!("{BASE}/services/{code}");
            t.insert(s.clone(), code.clone());
            t.insert(format!("{s}/longName"), long.clone());
            t.insert(format!("{s}/marketingHomeURL"), url.clone());
            for (region, _, _) in &regions {
                t.insert(format!("{s}/regions/{region}"), region.clone());
            }
        }
        tables.insert(partition.clone(), t);
    }
    Public { updated, tables }
}

fn public() -> &'static Public {
    static PUBLIC: OnceLock<Public> = OnceLock::new();
    PUBLIC.get_or_init(build)
}

fn table(ns: &Namespace) -> Option<&'static Table> {
    public().tables.get(ns.partition())
}

/// The parameter `cdk bootstrap` writes with the default qualifier, which every template CDK
/// synthesizes checks. `cdk bootstrap` itself cannot run here (it deploys an S3 bucket, an
/// ECR repository and IAM roles), so every account and region starts bootstrapped; a
/// parameter the user writes under this name takes its place.
pub(super) const CDK_BOOTSTRAP: &str = "/cdk-bootstrap/hnb659fds/version";

/// The bootstrap version the emulator stands for: newer than any CDK template requires.
const CDK_BOOTSTRAP_VERSION: &str = "30";

/// The CDK bootstrap parameter, where the account has not written its own.
pub(super) fn cdk_bootstrap(ns: &Namespace) -> g::Parameter {
    g::Parameter {
        name: Some(CDK_BOOTSTRAP.into()),
        type_: Some("String".into()),
        value: Some(CDK_BOOTSTRAP_VERSION.into()),
        version: Some(1),
        last_modified_date: Some(public().updated as f64 / 1000.0),
        arn: Some(ns.arn("ssm", &format!("parameter{CDK_BOOTSTRAP}"))),
        data_type: Some("text".into()),
        ..Default::default()
    }
}

/// Whether `name` is in AWS's public namespace.
pub(super) fn is_public(name: &str) -> bool {
    name.starts_with(ROOT) || name == ROOT.trim_end_matches('/')
}

/// The public parameter `name` as GetParameter shows it, if AWS publishes it.
pub(super) fn get(ns: &Namespace, name: &str) -> Option<g::Parameter> {
    let (name, value) = table(ns)?.get_key_value(name)?;
    Some(shown(ns, name, value))
}

/// The public parameters under `path` (its direct children, or all below when recursive).
pub(super) fn under(ns: &Namespace, path: &str, recursive: bool) -> Vec<g::Parameter> {
    let prefix = format!("{}/", path.trim_end_matches('/'));
    let Some(t) = table(ns) else {
        return Vec::new();
    };
    t.range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .filter(|(k, _)| recursive || !k[prefix.len()..].contains('/'))
        .map(|(k, v)| shown(ns, k, v))
        .collect()
}

fn shown(ns: &Namespace, name: &str, value: &str) -> g::Parameter {
    g::Parameter {
        name: Some(name.to_string()),
        type_: Some("String".into()),
        value: Some(value.to_string()),
        version: Some(1),
        last_modified_date: Some(public().updated as f64 / 1000.0),
        // Public parameters belong to no account: their ARNs leave it empty.
        arn: Some(format!(
            "arn:{}:ssm:{}::parameter{name}",
            ns.partition(),
            ns.region
        )),
        data_type: Some("text".into()),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_data_parses_into_every_partition() {
        let p = public();
        assert!(p.updated > 0);
        for (partition, region) in [
            ("aws", "us-east-1"),
            ("aws-cn", "cn-north-1"),
            ("aws-us-gov", "us-gov-west-1"),
        ] {
            let t = &p.tables[partition];
            assert_eq!(
                t.get(&format!("{BASE}/regions/{region}/partition")),
                Some(&partition.to_string())
            );
        }
    }
}
