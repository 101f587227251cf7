//! Jupyter notebooks (`.ipynb`, nbformat 4): reading cells for Read and
//! changing them for NotebookEdit, keeping every other field as it was.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Map, Value, json};

/// A parsed notebook, kept as JSON so unknown fields survive an edit.
#[derive(Debug, Clone, PartialEq)]
pub struct Notebook {
    /// Every top-level field; `cells` holds a placeholder until written.
    root: Map<String, Value>,
    cells: Vec<Map<String, Value>>,
}

/// One cell as Read shows it (`[ts-ref]` `FileReadOutput`, notebook case).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotebookCell {
    /// 0-based position in the notebook.
    pub cell_number: usize,
    /// `code`, `markdown` or `raw`.
    pub cell_type: String,
    /// The cell's source text.
    pub source: String,
    /// Text of the cell's outputs (code cells only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Vec<String>>,
    /// The cell id (nbformat 4.5 and later).
    #[serde(skip)]
    pub id: Option<String>,
}

/// The kind of a cell NotebookEdit writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    /// A code cell.
    Code,
    /// A markdown cell.
    Markdown,
}

impl CellKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Markdown => "markdown",
        }
    }
}

impl Notebook {
    /// Parses notebook JSON; the error says where it is malformed.
    pub fn parse(text: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(text).map_err(|error| {
            format!(
                "invalid JSON at line {}, column {}: {error}",
                error.line(),
                error.column()
            )
        })?;
        let Value::Object(mut root) = value else {
            return Err("the top level is not a JSON object".to_owned());
        };
        let cells = match root.get_mut("cells").map(Value::take) {
            Some(Value::Array(cells)) => cells,
            Some(_) => return Err("`cells` is not an array".to_owned()),
            None => return Err("it has no `cells` array".to_owned()),
        };
        let cells = cells
            .into_iter()
            .enumerate()
            .map(|(index, cell)| match cell {
                Value::Object(cell) => Ok(cell),
                _ => Err(format!("cell {index} is not a JSON object")),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { root, cells })
    }

    /// The cells with their text.
    pub fn read_cells(&self) -> Vec<NotebookCell> {
        self.cells
            .iter()
            .enumerate()
            .map(|(cell_number, cell)| {
                let cell_type = cell
                    .get("cell_type")
                    .and_then(Value::as_str)
                    .unwrap_or("code")
                    .to_owned();
                let outputs = cell
                    .get("outputs")
                    .and_then(Value::as_array)
                    .map(|outputs| outputs.iter().map(output_text).collect());
                NotebookCell {
                    cell_number,
                    source: multiline_text(cell.get("source")),
                    outputs: if cell_type == "code" { outputs } else { None },
                    cell_type,
                    id: cell
                        .get("id")
                        .and_then(Value::as_str)
                        .map(ToOwned::to_owned),
                }
            })
            .collect()
    }

    /// The cells as text for the model.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for cell in self.read_cells() {
            let id = cell
                .id
                .as_deref()
                .map(|id| format!(" id=\"{id}\""))
                .unwrap_or_default();
            out.push_str(&format!(
                "<cell number=\"{}\"{id} type=\"{}\">\n{}\n",
                cell.cell_number, cell.cell_type, cell.source
            ));
            if let Some(outputs) = cell.outputs.filter(|outputs| !outputs.is_empty()) {
                out.push_str("<outputs>\n");
                for output in outputs {
                    out.push_str(&output);
                    if !output.ends_with('\n') {
                        out.push('\n');
                    }
                }
                out.push_str("</outputs>\n");
            }
            out.push_str("</cell>\n");
        }
        out
    }

    /// The index of the cell `cell_id` names: a cell's `id`, else a 0-based
    /// number written `N` or `cell-N`.
    pub fn find_cell(&self, cell_id: &str) -> Result<usize, String> {
        if let Some(index) = self.find_cell_by_id(cell_id) {
            return Ok(index);
        }
        let number = cell_id.strip_prefix("cell-").unwrap_or(cell_id);
        match number.parse::<usize>() {
            Ok(index) if index < self.cells.len() => Ok(index),
            _ => {
                let ids: Vec<String> = self
                    .read_cells()
                    .into_iter()
                    .map(|cell| cell.id.unwrap_or_else(|| cell.cell_number.to_string()))
                    .collect();
                Err(format!(
                    "cell `{cell_id}` not found; the notebook's cells are: [{}]",
                    ids.join(", ")
                ))
            }
        }
    }

    /// Replaces the source of cell `index` (and its kind, when given).
    /// A code cell's outputs and execution count are cleared.
    pub fn replace_cell(&mut self, index: usize, source: &str, kind: Option<CellKind>) {
        let Some(cell) = self.cells.get_mut(index) else {
            return;
        };
        cell.insert("source".to_owned(), source_lines(source));
        if let Some(kind) = kind {
            cell.insert("cell_type".to_owned(), json!(kind.as_str()));
        }
        let is_code = cell.get("cell_type").and_then(Value::as_str) == Some("code");
        if is_code {
            cell.insert("execution_count".to_owned(), Value::Null);
            cell.insert("outputs".to_owned(), json!([]));
        } else {
            cell.remove("execution_count");
            cell.remove("outputs");
        }
    }

    /// Inserts a new cell at `index` and returns its id, when the notebook
    /// format has cell ids.
    pub fn insert_cell(&mut self, index: usize, source: &str, kind: CellKind) -> Option<String> {
        let id = self.has_cell_ids().then(|| self.new_cell_id());
        let mut cell = Map::new();
        cell.insert("cell_type".to_owned(), json!(kind.as_str()));
        if let Some(id) = &id {
            cell.insert("id".to_owned(), json!(id));
        }
        cell.insert("metadata".to_owned(), json!({}));
        cell.insert("source".to_owned(), source_lines(source));
        if kind == CellKind::Code {
            cell.insert("execution_count".to_owned(), Value::Null);
            cell.insert("outputs".to_owned(), json!([]));
        }
        let index = index.min(self.cells.len());
        self.cells.insert(index, cell);
        id
    }

    /// Removes cell `index`.
    pub fn delete_cell(&mut self, index: usize) {
        if index < self.cells.len() {
            self.cells.remove(index);
        }
    }

    /// The notebook as Jupyter writes it: one-space indent, final newline.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut root = self.root.clone();
        let cells = self.cells.iter().cloned().map(Value::Object).collect();
        root.insert("cells".to_owned(), Value::Array(cells));
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
        root.serialize(&mut serializer)?;
        out.push(b'\n');
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// nbformat 4.5 and later give every cell an `id`.
    fn has_cell_ids(&self) -> bool {
        let major = self
            .root
            .get("nbformat")
            .and_then(Value::as_u64)
            .unwrap_or(4);
        let minor = self
            .root
            .get("nbformat_minor")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        major > 4 || (major == 4 && minor >= 5)
    }

    fn new_cell_id(&self) -> String {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos())
            .unwrap_or_default();
        (0u64..)
            .map(|attempt| {
                let mut hasher = DefaultHasher::new();
                (seed, attempt, self.cells.len()).hash(&mut hasher);
                format!("{:08x}", hasher.finish() & 0xffff_ffff)
            })
            .find(|id| self.find_cell_by_id(id).is_none())
            .unwrap_or_else(|| "cell".to_owned())
    }

    fn find_cell_by_id(&self, id: &str) -> Option<usize> {
        self.cells
            .iter()
            .position(|cell| cell.get("id").and_then(Value::as_str) == Some(id))
    }
}

/// nbformat stores multiline text as a string or a list of lines.
fn multiline_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(lines)) => lines.iter().filter_map(Value::as_str).collect(),
        _ => String::new(),
    }
}

/// Text as the list of lines (each keeping its `\n`) Jupyter writes.
fn source_lines(text: &str) -> Value {
    Value::Array(
        text.split_inclusive('\n')
            .map(|line| Value::String(line.to_owned()))
            .collect(),
    )
}

fn output_text(output: &Value) -> String {
    match output.get("output_type").and_then(Value::as_str) {
        Some("stream") => multiline_text(output.get("text")),
        Some("error") => {
            let name = output
                .get("ename")
                .and_then(Value::as_str)
                .unwrap_or("Error");
            let value = output.get("evalue").and_then(Value::as_str).unwrap_or("");
            format!("{name}: {value}")
        }
        Some("execute_result" | "display_data") => {
            let data = output.get("data");
            if let Some(text) = data.and_then(|data| data.get("text/plain")) {
                multiline_text(Some(text))
            } else if let Some(kind) = data
                .and_then(Value::as_object)
                .and_then(|data| data.keys().next())
            {
                format!("[{kind} output]")
            } else {
                String::new()
            }
        }
        _ => String::new(),
    }
}
