//! NotebookEdit: replace, insert and delete cells; errors.

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::common::{Session, model_error};

pub(crate) const NOTEBOOK: &str = r##"{
 "cells": [
  {
   "cell_type": "markdown",
   "id": "md1",
   "metadata": {},
   "source": ["# Title\n", "intro"]
  },
  {
   "cell_type": "code",
   "execution_count": 1,
   "id": "code1",
   "metadata": {"tags": ["keep"]},
   "outputs": [
    {"name": "stdout", "output_type": "stream", "text": ["1\n"]},
    {"data": {"text/plain": ["2"]}, "execution_count": 1, "metadata": {}, "output_type": "execute_result"}
   ],
   "source": ["print(1)\n", "1 + 1"]
  },
  {
   "cell_type": "code",
   "execution_count": 2,
   "id": "code2",
   "metadata": {},
   "outputs": [{"ename": "ValueError", "evalue": "x", "output_type": "error", "traceback": []}],
   "source": "raise ValueError('x')"
  }
 ],
 "metadata": {"kernelspec": {"name": "python3"}},
 "nbformat": 4,
 "nbformat_minor": 5
}
"##;

async fn session_with_notebook() -> Session {
    let session = Session::new();
    session.write_file("nb.ipynb", NOTEBOOK);
    session.read("nb.ipynb").await;
    session
}

fn notebook_json(session: &Session) -> Value {
    serde_json::from_slice(&session.file_bytes("nb.ipynb")).unwrap()
}

#[tokio::test]
async fn replace_sets_the_source_and_clears_outputs() {
    let session = session_with_notebook().await;
    let input = json!({
        "notebook_path": session.path_str("nb.ipynb"),
        "cell_id": "code1",
        "new_source": "x = 2\nx"
    });
    let out = session.call("NotebookEdit", input).await.unwrap();
    assert_eq!(
        out.structured,
        json!({"success": true, "notebook_path": session.path_str("nb.ipynb")})
    );
    let notebook = notebook_json(&session);
    assert_eq!(
        notebook["cells"][1],
        json!({
            "cell_type": "code",
            "execution_count": null,
            "id": "code1",
            "metadata": {"tags": ["keep"]},
            "outputs": [],
            "source": ["x = 2\n", "x"]
        })
    );
    assert_eq!(
        notebook["metadata"],
        json!({"kernelspec": {"name": "python3"}})
    );
    // Jupyter's layout: one-space indent and a final newline.
    let text = String::from_utf8(session.file_bytes("nb.ipynb")).unwrap();
    assert!(text.starts_with("{\n \"cells\": [\n  {\n"), "{text}");
    assert!(text.ends_with("}\n"));
}

#[tokio::test]
async fn insert_adds_a_cell_after_cell_id_or_at_the_start() {
    let session = session_with_notebook().await;
    let path = session.path_str("nb.ipynb");
    let after = json!({"notebook_path": path, "cell_id": "md1", "cell_type": "markdown", "new_source": "## Part", "edit_mode": "insert"});
    session.call("NotebookEdit", after).await.unwrap();
    let first = json!({"notebook_path": path, "cell_type": "code", "new_source": "import os", "edit_mode": "insert"});
    session.call("NotebookEdit", first).await.unwrap();
    let notebook = notebook_json(&session);
    let cells = notebook["cells"].as_array().unwrap();
    let summary: Vec<(&str, Value)> = cells
        .iter()
        .map(|cell| (cell["cell_type"].as_str().unwrap(), cell["source"].clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("code", json!(["import os"])),
            ("markdown", json!(["# Title\n", "intro"])),
            ("markdown", json!(["## Part"])),
            ("code", json!(["print(1)\n", "1 + 1"])),
            ("code", json!("raise ValueError('x')")),
        ]
    );
    // nbformat 4.5 cells carry unique ids.
    let ids: std::collections::BTreeSet<&str> = cells
        .iter()
        .map(|cell| cell["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 5);
    assert_eq!(cells[0]["outputs"], json!([]));
}

#[tokio::test]
async fn delete_removes_the_cell_and_accepts_a_cell_number() {
    let session = session_with_notebook().await;
    let path = session.path_str("nb.ipynb");
    let input = json!({"notebook_path": path, "cell_id": "cell-0", "new_source": "", "edit_mode": "delete"});
    session.call("NotebookEdit", input).await.unwrap();
    let ids: Vec<Value> = notebook_json(&session)["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|cell| cell["id"].clone())
        .collect();
    assert_eq!(ids, vec![json!("code1"), json!("code2")]);
}

#[tokio::test]
async fn notebook_edit_errors_name_the_problem() {
    let session = session_with_notebook().await;
    let path = session.path_str("nb.ipynb");
    session.write_file("broken.ipynb", "{\"cells\": 3}");
    session.read_result("broken.ipynb").await.unwrap_err();
    session.write_file("plain.txt", "x");
    let cases = [
        (
            json!({"notebook_path": path, "cell_id": "nope", "new_source": "x"}),
            format!("In {path}: cell `nope` not found; the notebook's cells are: [md1, code1, code2]"),
        ),
        (
            json!({"notebook_path": path, "new_source": "x"}),
            "`cell_id` is required when `edit_mode` is replace".to_owned(),
        ),
        (
            json!({"notebook_path": path, "new_source": "x", "edit_mode": "insert"}),
            "`cell_type` is required when `edit_mode` is insert".to_owned(),
        ),
        (
            json!({"notebook_path": path, "new_source": "x", "edit_mode": "move"}),
            "Invalid input for NotebookEdit: field `edit_mode`: unknown variant `move`, expected one of `replace`, `insert`, `delete`".to_owned(),
        ),
        (
            json!({"notebook_path": session.path_str("plain.txt"), "new_source": "x"}),
            format!("{} is not a Jupyter notebook (.ipynb); use Edit for other files", session.path_str("plain.txt")),
        ),
        (
            json!({"notebook_path": session.path_str("gone.ipynb"), "new_source": "x"}),
            format!("Notebook does not exist: {}", session.path_str("gone.ipynb")),
        ),
        (
            json!({"notebook_path": session.path_str("broken.ipynb"), "cell_id": "0", "new_source": "x"}),
            format!("File has not been read yet: {}. Read it first before writing to it.", session.path_str("broken.ipynb")),
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(
            model_error(session.call("NotebookEdit", input.clone()).await),
            expected,
            "{input}"
        );
    }
    let error = model_error(session.read_result("broken.ipynb").await);
    assert_eq!(
        error,
        format!(
            "{} is not a valid notebook: `cells` is not an array",
            session.path_str("broken.ipynb")
        )
    );
}
