//! Finding where a JSON path points in the source text.
//!
//! Type errors in flattened structs come out of serde without a position,
//! so the parser finds the offending value itself: it knows the JSON path and
//! scans the (already validated) text for it.

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// An object key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// Renders a path as `a.b[0].c`; keys that are not plain words are quoted.
pub(crate) fn render(path: &[Segment]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Segment::Key(k) => {
                let plain = !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if !out.is_empty() && plain {
                    out.push('.');
                }
                if plain {
                    out.push_str(k);
                } else {
                    out.push('[');
                    out.push_str(&serde_json::Value::String(k.clone()).to_string());
                    out.push(']');
                }
            }
            Segment::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    if out.is_empty() {
        out.push_str("(top level)");
    }
    out
}

/// Where a path points: the key's offset (for object members) and the
/// value's offset, both in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Located {
    pub(crate) key: Option<usize>,
    pub(crate) value: usize,
}

/// Finds `path` in valid JSON `text`. With duplicate keys the last one wins,
/// as in serde_json. Returns `None` when the path does not exist or the text
/// is not valid JSON.
pub(crate) fn locate(text: &str, path: &[Segment]) -> Option<Located> {
    let bytes = text.as_bytes();
    let mut at = Located {
        key: None,
        value: skip_ws(bytes, 0),
    };
    for seg in path {
        at = child(bytes, at.value, seg)?;
    }
    Some(at)
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

fn child(b: &[u8], start: usize, seg: &Segment) -> Option<Located> {
    match (b.get(start)?, seg) {
        (b'{', Segment::Key(want)) => {
            let mut i = skip_ws(b, start + 1);
            let mut found = None;
            while *b.get(i)? != b'}' {
                let key_start = i;
                let key_end = skip_string(b, i)?;
                let key: String = serde_json::from_slice(b.get(key_start..key_end)?).ok()?;
                i = skip_ws(b, key_end);
                if *b.get(i)? != b':' {
                    return None;
                }
                let value = skip_ws(b, i + 1);
                if &key == want {
                    found = Some(Located {
                        key: Some(key_start),
                        value,
                    });
                }
                i = skip_ws(b, skip_value(b, value)?);
                if *b.get(i)? == b',' {
                    i = skip_ws(b, i + 1);
                }
            }
            found
        }
        (b'[', Segment::Index(want)) => {
            let mut i = skip_ws(b, start + 1);
            let mut n = 0;
            while *b.get(i)? != b']' {
                if n == *want {
                    return Some(Located {
                        key: None,
                        value: i,
                    });
                }
                i = skip_ws(b, skip_value(b, i)?);
                if *b.get(i)? == b',' {
                    i = skip_ws(b, i + 1);
                }
                n += 1;
            }
            None
        }
        _ => None,
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// Offset just past the string starting at `i`.
fn skip_string(b: &[u8], i: usize) -> Option<usize> {
    if *b.get(i)? != b'"' {
        return None;
    }
    let mut j = i + 1;
    loop {
        match *b.get(j)? {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
}

/// Offset just past the value starting at `i`.
fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => skip_string(b, i),
        open @ (b'{' | b'[') => {
            let close = if open == b'{' { b'}' } else { b']' };
            let mut j = skip_ws(b, i + 1);
            while *b.get(j)? != close {
                j = skip_ws(b, skip_value(b, j)?);
                if matches!(b.get(j), Some(b',' | b':')) {
                    j = skip_ws(b, j + 1);
                }
            }
            Some(j + 1)
        }
        _ => {
            let mut j = i;
            while let Some(c) = b.get(j) {
                if matches!(c, b',' | b'}' | b']' | b':' | b' ' | b'\t' | b'\n' | b'\r') {
                    break;
                }
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn key(k: &str) -> Segment {
        Segment::Key(k.to_owned())
    }

    #[test]
    fn finds_nested_value_and_key_positions() {
        let text = "{\n  \"a\": {\"b\": [1, {\"c\": \"x\"}]}\n}";
        let at = locate(text, &[key("a"), key("b"), Segment::Index(1), key("c")]).unwrap();
        assert_eq!(line_column(text, at.value), (2, 24));
        assert_eq!(line_column(text, at.key.unwrap()), (2, 19));
    }

    #[test]
    fn last_duplicate_key_wins_and_escapes_are_skipped() {
        let text = r#"{"k\"": 1, "a": 1, "a": [true]}"#;
        let at = locate(text, &[key("a"), Segment::Index(0)]).unwrap();
        assert_eq!(&text[at.value..at.value + 4], "true");
        assert_eq!(locate(text, &[key("zz")]), None);
    }

    #[test]
    fn renders_paths_with_quoted_odd_keys() {
        let p = [
            key("hooks"),
            key("Pre Tool"),
            Segment::Index(0),
            key("matcher"),
        ];
        assert_eq!(render(&p), r#"hooks["Pre Tool"][0].matcher"#);
        assert_eq!(render(&[]), "(top level)");
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        assert_eq!(line_column("é\n  ü", 5), (2, 3));
    }
}
