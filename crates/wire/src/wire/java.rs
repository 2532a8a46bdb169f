//! Values as AWS's Java front ends print them in a constraint violation (`Value '...'`):
//! lists as `[a, b]`, a structure as its class name and fields, absent ones `null`.

use std::fmt::{self, Display, Formatter};

/// A structure's text in a violation.
pub trait JavaText {
    fn java(&self, f: &mut Formatter<'_>) -> fmt::Result;
}

/// A list of structures, shown as AWS shows it.
pub struct JavaList<'a, T>(pub &'a [T]);

impl<T: JavaText> Display for JavaList<'_, T> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            item.java(f)?;
        }
        f.write_str("]")
    }
}

fn text(v: Option<&str>) -> &str {
    v.unwrap_or("null")
}

/// A `java.util.Date` as its `toString` writes it, in UTC.
fn date(seconds: f64) -> String {
    let Ok(format) = time::format_description::parse_borrowed::<2>(
        "[weekday repr:short] [month repr:short] [day] [hour]:[minute]:[second] UTC [year]",
    ) else {
        return "null".into();
    };
    time::OffsetDateTime::from_unix_timestamp(seconds.floor() as i64)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| "null".into())
}

impl JavaText for crate::generated::events::PutEventsRequestEntry {
    fn java(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let resources = self
            .resources
            .as_ref()
            .map_or_else(|| "null".to_string(), |r| format!("[{}]", r.join(", ")));
        write!(
            f,
            "PutEventsRequestEntry(time={}, source={}, resources={resources}, detailType={}, detail={}, eventBusName={}, traceHeader={}, kmsKeyIdentifier=null, internalMetadata=null)",
            self.time.map_or_else(|| "null".to_string(), date),
            text(self.source.as_deref()),
            text(self.detail_type.as_deref()),
            text(self.detail.as_deref()),
            text(self.event_bus_name.as_deref()),
            text(self.trace_header.as_deref()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::events::PutEventsRequestEntry;

    #[test]
    fn entries_print_as_awss_java_front_end_prints_them() {
        let e = PutEventsRequestEntry {
            source: Some("s".into()),
            detail_type: Some("d".into()),
            detail: Some("{\"a\": 1}".into()),
            event_bus_name: Some("b".into()),
            ..Default::default()
        };
        let timed = PutEventsRequestEntry {
            time: Some(1_736_349_852.0),
            resources: Some(vec!["r1".into(), "r2".into()]),
            ..Default::default()
        };
        assert_eq!(
            JavaList(&[e, timed]).to_string(),
            "[PutEventsRequestEntry(time=null, source=s, resources=null, detailType=d, detail={\"a\": 1}, eventBusName=b, traceHeader=null, kmsKeyIdentifier=null, internalMetadata=null), PutEventsRequestEntry(time=Wed Jan 08 15:24:12 UTC 2025, source=null, resources=[r1, r2], detailType=null, detail=null, eventBusName=null, traceHeader=null, kmsKeyIdentifier=null, internalMetadata=null)]"
        );
    }
}
