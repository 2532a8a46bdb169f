//! How a template's names hang together: every reference resolves to something declared,
//! and the resources in an order that creates each after what it refers to.

use super::{is_pseudo, references, Template};
use indexmap::IndexMap;

/// Every Ref, GetAtt, DependsOn and Condition names something the template declares.
pub(super) fn check_references(t: &Template) -> Result<(), String> {
    let mut missing = Vec::new();
    for (name, r) in &t.resources {
        for target in references(&r.properties) {
            let known = t.resources.contains_key(&target.name)
                || (!target.attribute
                    && (t.parameters.contains_key(&target.name) || is_pseudo(&target.name)));
            if !known && !missing.contains(&target.name) {
                missing.push(target.name);
            }
        }
        for d in &r.depends_on {
            if !t.resources.contains_key(d) {
                return Err(format!(
                    "Unresolved resource dependencies [{d}] in the Resources block of the template"
                ));
            }
        }
        if let Some(c) = &r.condition {
            if !t.conditions.contains_key(c) {
                return Err(format!(
                    "Unresolved dependencies [{c}]. Cannot reference resources in the Conditions block of the template"
                ));
            }
        }
        let _ = name;
    }
    if !missing.is_empty() {
        return Err(format!(
            "Unresolved resource dependencies [{}] in the Resources block of the template",
            missing.join(", ")
        ));
    }
    for o in t.outputs.values() {
        for target in references(&o.value) {
            let known = t.resources.contains_key(&target.name)
                || (!target.attribute
                    && (t.parameters.contains_key(&target.name) || is_pseudo(&target.name)));
            if !known {
                return Err(format!(
                    "Unresolved resource dependencies [{}] in the Outputs block of the template",
                    target.name
                ));
            }
        }
    }
    for (name, c) in &t.conditions {
        for target in references(c) {
            if t.resources.contains_key(&target.name) || target.attribute {
                return Err(format!(
                    "Unresolved dependencies [{}]. Cannot reference resources in the Conditions block of the template",
                    target.name
                ));
            }
            if !t.parameters.contains_key(&target.name) && !is_pseudo(&target.name) {
                return Err(format!(
                    "Unresolved dependencies [{}]. Cannot reference resources in the Conditions block of the template ({name})",
                    target.name
                ));
            }
        }
    }
    Ok(())
}

/// The resources in an order that creates each after everything it refers to; a cycle is
/// AWS's "Circular dependency" error.
pub fn creation_order(
    t: &Template,
    included: &dyn Fn(&str) -> bool,
) -> Result<Vec<String>, String> {
    let mut deps: IndexMap<&str, Vec<String>> = IndexMap::new();
    for (name, r) in &t.resources {
        if !included(name) {
            continue;
        }
        let mut d: Vec<String> = references(&r.properties)
            .into_iter()
            .map(|x| x.name)
            .filter(|n| t.resources.contains_key(n) && included(n) && n != name)
            .collect();
        d.extend(r.depends_on.iter().filter(|n| included(n)).cloned());
        d.dedup();
        deps.insert(name, d);
    }
    let mut order: Vec<String> = Vec::new();
    let mut placed = std::collections::HashSet::new();
    while order.len() < deps.len() {
        let ready: Vec<&str> = deps
            .iter()
            .filter(|(n, d)| !placed.contains(**n) && d.iter().all(|x| placed.contains(x.as_str())))
            .map(|(n, _)| *n)
            .collect();
        if ready.is_empty() {
            let mut stuck: Vec<&str> = deps
                .keys()
                .filter(|n| !placed.contains(**n))
                .copied()
                .collect();
            stuck.sort_unstable();
            return Err(format!(
                "Circular dependency between resources: [{}]",
                stuck.join(", ")
            ));
        }
        for n in ready {
            placed.insert(n);
            order.push(n.to_string());
        }
    }
    Ok(order)
}
