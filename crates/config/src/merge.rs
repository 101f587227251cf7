//! Merging settings layers (cli-core.md §4): objects merge key by key, the
//! higher layer's scalars and arrays win, permission lists and hooks of the
//! same event are concatenated without duplicates, MCP servers replace each
//! other by name. Every merged value remembers which layers produced it.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value};

/// Which layers (by index into [`crate::LoadedSettings::layers`]) produced
/// each merged value, keyed by JSON key path. A replaced value lists one
/// layer; a combined list lists every layer that contributed, lowest first.
pub type Origins = BTreeMap<Vec<String>, Vec<usize>>;

/// `permissions.*` lists that combine across layers.
const COMBINED_PERMISSION_LISTS: [&str; 5] = [
    "allow",
    "deny",
    "ask",
    "additionalDirectories",
    "trustDirectories",
];

enum Rule {
    /// Objects merge key by key; anything else replaces.
    Deep,
    /// Arrays concatenate, duplicates dropped.
    Combine,
    /// The whole value replaces, even objects.
    Replace,
}

fn rule_for(path: &[String]) -> Rule {
    match path {
        [p, list] if p == "permissions" && COMBINED_PERMISSION_LISTS.contains(&list.as_str()) => {
            Rule::Combine
        }
        [h, _event] if h == "hooks" => Rule::Combine,
        [m, _server] if m == "mcpServers" => Rule::Replace,
        _ => Rule::Deep,
    }
}

/// Merges `layer` (the settings of layer number `index`, as JSON) over
/// `acc`.
pub(crate) fn merge_layer(
    acc: &mut Map<String, Value>,
    layer: &Map<String, Value>,
    index: usize,
    origins: &mut Origins,
) {
    let mut path = Vec::new();
    merge_object(acc, layer, index, &mut path, origins);
}

fn merge_object(
    acc: &mut Map<String, Value>,
    layer: &Map<String, Value>,
    index: usize,
    path: &mut Vec<String>,
    origins: &mut Origins,
) {
    for (key, value) in layer {
        path.push(key.clone());
        match (rule_for(path), acc.get_mut(key), value) {
            (Rule::Combine, Some(Value::Array(have)), Value::Array(add)) => {
                if append_new(have, add) {
                    let layers = origins.entry(path.clone()).or_default();
                    if layers.last() != Some(&index) {
                        layers.push(index);
                    }
                }
            }
            (Rule::Deep, Some(Value::Object(have)), Value::Object(add)) => {
                merge_object(have, add, index, path, origins);
            }
            (Rule::Deep, _, Value::Object(add)) => {
                forget_below(origins, path);
                let mut fresh = Map::new();
                merge_object(&mut fresh, add, index, path, origins);
                if fresh.is_empty() {
                    origins.insert(path.clone(), vec![index]);
                }
                acc.insert(key.clone(), Value::Object(fresh));
            }
            (Rule::Combine | Rule::Replace | Rule::Deep, _, _) => {
                forget_below(origins, path);
                let v = match (rule_for(path), value) {
                    (Rule::Combine, Value::Array(items)) => Value::Array(dedup(items)),
                    _ => value.clone(),
                };
                acc.insert(key.clone(), v);
                origins.insert(path.clone(), vec![index]);
            }
        }
        path.pop();
    }
}

fn dedup(items: &[Value]) -> Vec<Value> {
    let mut out = Vec::with_capacity(items.len());
    append_new(&mut out, items);
    out
}

/// Appends the items of `add` that `have` lacks; returns whether any was
/// added. Rule lists can hold thousands of strings, so strings are checked
/// through a set; other items (hook groups) by comparison.
fn append_new(have: &mut Vec<Value>, add: &[Value]) -> bool {
    let mut seen: HashSet<String> = have
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    let mut added = false;
    for item in add {
        let new = match item.as_str() {
            Some(s) => seen.insert(s.to_owned()),
            None => !have.contains(item),
        };
        if new {
            have.push(item.clone());
            added = true;
        }
    }
    added
}

/// Drops the origins of `path` and everything under it: a higher layer has
/// replaced that value wholesale.
fn forget_below(origins: &mut Origins, path: &[String]) {
    origins.retain(|k, _| !k.starts_with(path));
}

/// The layers behind each top-level key, lowest first.
pub(crate) fn top_level(origins: &Origins) -> BTreeMap<String, Vec<usize>> {
    let mut out: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (path, layers) in origins {
        if let Some(first) = path.first() {
            let entry = out.entry(first.clone()).or_default();
            entry.extend(layers);
            entry.sort_unstable();
            entry.dedup();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    fn merge_all(layers: &[Value]) -> (Value, Origins) {
        let mut acc = Map::new();
        let mut origins = Origins::new();
        for (i, l) in layers.iter().enumerate() {
            merge_layer(&mut acc, &obj(l.clone()), i, &mut origins);
        }
        (Value::Object(acc), origins)
    }

    fn key(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn permission_lists_combine_without_duplicates() {
        let (merged, origins) = merge_all(&[
            json!({"permissions": {"allow": ["Read", "Grep"], "deny": ["Bash(rm:*)"]}}),
            json!({"permissions": {"allow": ["Grep", "Edit"]}}),
            json!({"permissions": {"allow": ["Read"]}}),
        ]);
        assert_eq!(
            merged,
            json!({"permissions": {"allow": ["Read", "Grep", "Edit"], "deny": ["Bash(rm:*)"]}})
        );
        assert_eq!(
            origins.get(&key(&["permissions", "allow"])),
            Some(&vec![0, 1])
        );
    }

    #[test]
    fn objects_merge_deeply_and_scalars_override() {
        let (merged, origins) = merge_all(&[
            json!({"general": {"plan": {"enabled": true}, "enableAutoUpdate": true}, "model": "a"}),
            json!({"general": {"plan": {"enabled": false}}, "model": "b"}),
        ]);
        assert_eq!(
            merged,
            json!({"general": {"plan": {"enabled": false}, "enableAutoUpdate": true}, "model": "b"})
        );
        assert_eq!(
            top_level(&origins),
            BTreeMap::from([
                ("general".to_owned(), vec![0, 1]),
                ("model".to_owned(), vec![1])
            ])
        );
    }

    #[test]
    fn other_arrays_are_replaced_by_the_higher_layer() {
        let (merged, _) = merge_all(&[
            json!({"tools": {"exclude": ["WebFetch"]}}),
            json!({"tools": {"exclude": ["Bash"]}}),
        ]);
        assert_eq!(merged, json!({"tools": {"exclude": ["Bash"]}}));
    }

    #[test]
    fn hooks_of_one_event_concatenate_and_mcp_servers_replace_by_name() {
        let g1 = json!({"hooks": [{"type": "command", "command": "a"}]});
        let g2 = json!({"matcher": "Bash", "hooks": [{"type": "command", "command": "b"}]});
        let (merged, _) = merge_all(&[
            json!({"hooks": {"Stop": [g1]}, "mcpServers": {"x": {"command": "old", "args": ["1"]}}}),
            json!({"hooks": {"Stop": [g2, g1]}, "mcpServers": {"x": {"command": "new"}, "y": {"url": "u"}}}),
        ]);
        assert_eq!(
            merged,
            json!({
                "hooks": {"Stop": [g1, g2]},
                "mcpServers": {"x": {"command": "new"}, "y": {"url": "u"}}
            })
        );
    }

    #[test]
    fn replacing_an_object_with_a_scalar_forgets_old_origins() {
        let (_, origins) = merge_all(&[json!({"a": {"b": 1, "c": 2}}), json!({"a": 3})]);
        assert_eq!(origins, Origins::from([(key(&["a"]), vec![1])]));
    }
}
