//! YAML frontmatter: the `---` block at the top of rules, skills, commands
//! and subagent files.
//!
//! The YAML is parsed with `serde-saphyr`, a pure-Rust, panic-free parser
//! with bounded resource use that reports the line and column of every
//! error (`serde_yaml` is deprecated; `serde_yml` is unmaintained;
//! `serde_norway` wraps the C-derived `unsafe-libyaml`). Errors are reported
//! against the line numbers of the whole file, not of the YAML block.

use serde::de::DeserializeOwned;

/// A Markdown file split into its frontmatter and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split<'a> {
    /// The YAML between the `---` fences, if the file has frontmatter.
    pub yaml: Option<&'a str>,
    /// The 1-based line of the file where the YAML starts (the line after
    /// the opening fence); 1 when there is no frontmatter.
    pub yaml_line: usize,
    /// The Markdown after the closing fence (the whole text without
    /// frontmatter).
    pub body: &'a str,
    /// The 1-based line of the file where the body starts.
    pub body_line: usize,
}

/// A frontmatter block that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct FrontmatterError {
    /// 1-based line in the whole file.
    pub line: usize,
    /// 1-based column (0 when unknown).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// A parsed file: typed frontmatter fields and the body.
#[derive(Debug, Clone, PartialEq)]
pub struct Document<T> {
    /// The frontmatter fields (`T::default()` when there is no frontmatter
    /// or it is empty).
    pub fields: T,
    /// Whether the file had a frontmatter block at all.
    pub has_frontmatter: bool,
    /// The body after the frontmatter.
    pub body: String,
    /// 1-based line of the file where the body starts.
    pub body_line: usize,
}

fn is_fence(line: &str) -> bool {
    line.trim_end() == "---"
}

/// Splits `text` into frontmatter and body. A file has frontmatter when its
/// first line (after an optional byte-order mark) is `---`; the block ends at
/// the next `---` line.
///
/// # Errors
/// When the opening fence is never closed.
pub fn split(text: &str) -> Result<Split<'_>, FrontmatterError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first_end = text.find('\n').map_or(text.len(), |i| i + 1);
    if !is_fence(&text[..first_end]) {
        return Ok(Split {
            yaml: None,
            yaml_line: 1,
            body: text,
            body_line: 1,
        });
    }
    let mut offset = first_end;
    let mut line = 2;
    while offset < text.len() {
        let end = text[offset..]
            .find('\n')
            .map_or(text.len(), |i| offset + i + 1);
        if is_fence(&text[offset..end]) {
            return Ok(Split {
                yaml: Some(&text[first_end..offset]),
                yaml_line: 2,
                body: &text[end..],
                body_line: line + 1,
            });
        }
        offset = end;
        line += 1;
    }
    Err(FrontmatterError {
        line: 1,
        column: 1,
        message: "frontmatter opened with `---` is never closed by a second `---` line".into(),
    })
}

fn is_blank_yaml(yaml: &str) -> bool {
    yaml.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#')
    })
}

/// Maps a YAML position (where a lone `\r` also ends a line) to the byte
/// offset in `yaml`.
fn yaml_offset(yaml: &str, line: usize, column: usize) -> usize {
    let mut current = 1;
    let mut chars = yaml.char_indices().peekable();
    while current < line {
        match chars.next() {
            Some((_, '\n')) => current += 1,
            Some((_, '\r')) => {
                if let Some((_, '\n')) = chars.peek() {
                    chars.next();
                }
                current += 1;
            }
            Some(_) => {}
            None => return yaml.len(),
        }
    }
    for _ in 1..column {
        match chars.peek() {
            Some((_, '\n' | '\r')) | None => break,
            Some(_) => {
                chars.next();
            }
        }
    }
    chars.peek().map_or(yaml.len(), |(i, _)| *i)
}

fn convert(error: &serde_saphyr::Error, yaml: &str, yaml_line: usize) -> FrontmatterError {
    let plain = error.without_snippet().to_string();
    // The library appends " at line L, column C"; we report our own,
    // file-relative position instead.
    let message = match plain.rfind(" at line ") {
        Some(i) => plain[..i].to_string(),
        None => plain,
    };
    let Some(location) = error.location().filter(|l| l.line() > 0) else {
        return FrontmatterError {
            line: yaml_line,
            column: 0,
            message,
        };
    };
    let line = usize::try_from(location.line()).unwrap_or(usize::MAX);
    let column = usize::try_from(location.column()).unwrap_or(0);
    // Lines are counted as the file's viewers count them: by `\n` only.
    let offset = yaml_offset(yaml, line, column);
    let before = &yaml[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    FrontmatterError {
        line: yaml_line + before.matches('\n').count(),
        column: before[line_start..].chars().count() + 1,
        message,
    }
}

/// Parses the YAML of a frontmatter block into `T`. `yaml_line` is the line
/// of the file where the YAML starts, so errors point into the file.
///
/// # Errors
/// On invalid YAML or a value that does not fit `T`.
pub fn parse_yaml<T: DeserializeOwned + Default>(
    yaml: &str,
    yaml_line: usize,
) -> Result<T, FrontmatterError> {
    if is_blank_yaml(yaml) {
        return Ok(T::default());
    }
    serde_saphyr::from_str::<T>(yaml).map_err(|e| convert(&e, yaml, yaml_line))
}

/// Parses a whole Markdown file with optional frontmatter into typed fields
/// and a body.
///
/// # Errors
/// On an unclosed fence, invalid YAML, or fields of the wrong type.
pub fn parse<T: DeserializeOwned + Default>(text: &str) -> Result<Document<T>, FrontmatterError> {
    let split = split(text)?;
    let fields = match split.yaml {
        Some(yaml) => parse_yaml(yaml, split.yaml_line)?,
        None => T::default(),
    };
    Ok(Document {
        fields,
        has_frontmatter: split.yaml.is_some(),
        body: split.body.to_string(),
        body_line: split.body_line,
    })
}

/// Parses frontmatter into a generic JSON value (`Null` when absent or
/// empty). Frontmatter must be a mapping.
///
/// # Errors
/// On invalid YAML or a frontmatter that is not a mapping.
pub fn parse_value(text: &str) -> Result<serde_json::Value, FrontmatterError> {
    let split = split(text)?;
    let Some(yaml) = split.yaml else {
        return Ok(serde_json::Value::Null);
    };
    let value: serde_json::Value = parse_yaml(yaml, split.yaml_line)?;
    match value {
        serde_json::Value::Object(_) | serde_json::Value::Null => Ok(value),
        other => Err(FrontmatterError {
            line: split.yaml_line,
            column: 1,
            message: format!(
                "frontmatter must be a mapping of `key: value` lines, found {}",
                kind_name(&other)
            ),
        }),
    }
}

fn kind_name(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "nothing",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "a mapping",
    }
}

/// Writes a frontmatter value back as a Markdown file with a `---` block
/// and the given body; `parse_value` of the result yields the same value.
///
/// # Errors
/// When the value cannot be written as YAML.
pub fn render(value: &serde_json::Value, body: &str) -> Result<String, FrontmatterError> {
    let yaml = serde_saphyr::to_string(value).map_err(|e| FrontmatterError {
        line: 0,
        column: 0,
        message: e.to_string(),
    })?;
    let mut out = String::with_capacity(yaml.len() + body.len() + 8);
    out.push_str("---\n");
    out.push_str(&yaml);
    if !yaml.ends_with('\n') {
        out.push('\n');
    }
    out.push_str("---\n");
    out.push_str(body);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[derive(Debug, Default, PartialEq, serde::Deserialize)]
    #[serde(default)]
    struct Fields {
        name: Option<String>,
        count: Option<u32>,
    }

    #[test]
    fn file_without_fence_is_all_body() {
        let doc: Document<Fields> = parse("# Title\ntext\n").expect("parses");
        assert_eq!(
            doc,
            Document {
                fields: Fields::default(),
                has_frontmatter: false,
                body: "# Title\ntext\n".into(),
                body_line: 1
            }
        );
    }

    #[test]
    fn fields_and_body_are_separated() {
        let doc: Document<Fields> = parse("---\nname: x\ncount: 3\n---\nbody\n").expect("parses");
        assert_eq!(
            doc,
            Document {
                fields: Fields {
                    name: Some("x".into()),
                    count: Some(3)
                },
                has_frontmatter: true,
                body: "body\n".into(),
                body_line: 5
            }
        );
    }

    #[test]
    fn syntax_error_reports_the_file_line() {
        let err = parse::<Fields>("---\nname: ok\nbad: [1,\n---\n").expect_err("broken");
        assert_eq!(err.line, 3);
        assert!(err.message.contains("unclosed"), "{err}");
    }

    #[test]
    fn type_error_reports_the_file_line() {
        let err = parse::<Fields>("---\nname: ok\ncount: -4\n---\n").expect_err("broken");
        assert_eq!(err.line, 3);
    }

    #[test]
    fn lone_carriage_returns_do_not_shift_the_line() {
        let err = parse::<Fields>("---\nname: a\r\r\rb: c: d\n---\n").expect_err("broken");
        assert_eq!((err.line, err.column), (2, 15));
        let err = parse::<Fields>("---\r\nname: ok\r\nbad: [1,\r\n---\r\n").expect_err("broken");
        assert_eq!(err.line, 3);
    }

    #[test]
    fn unclosed_fence_is_an_error_on_line_one() {
        let err = parse::<Fields>("---\nname: x\n").expect_err("unclosed");
        assert_eq!(err.line, 1);
    }

    #[test]
    fn empty_frontmatter_gives_defaults() {
        let doc: Document<Fields> = parse("---\n# only a comment\n---\nb").expect("parses");
        assert_eq!(doc.fields, Fields::default());
        assert!(doc.has_frontmatter);
    }

    #[test]
    fn a_list_is_not_a_frontmatter_mapping() {
        let err = parse_value("---\n- a\n---\n").expect_err("not a mapping");
        assert_eq!(err.line, 2);
    }

    #[test]
    fn rendered_value_parses_back_to_itself() {
        let value = parse_value("---\nname: x\nlist: [a, 'b: c']\nn: 1.5\n---\n").expect("ok");
        let text = render(&value, "body").expect("renders");
        assert_eq!(parse_value(&text).expect("re-parses"), value);
    }
}
