//! `TodoWrite`: the session's task list, replaced whole on every call
//! (`cli-core.md` §2.11).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use ferrule_tool::{ToolContext, ToolError, ToolOutput, ToolTarget, TypedTool};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The state of one task. `cancelled` and `blocked` are accepted besides the
/// SDK's three (decision in `cli-core.md` §2.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TodoStatus {
    /// Not started.
    Pending,
    /// Being worked on (keep at most one).
    InProgress,
    /// Done.
    Completed,
    /// Dropped.
    Cancelled,
    /// Waiting on something else.
    Blocked,
}

/// How important a task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TodoPriority {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

/// One task as the model sends it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TodoInputItem {
    /// A stable id; assigned when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// What is to be done.
    pub content: String,
    /// Its state.
    pub status: TodoStatus,
    /// Its priority.
    #[serde(default)]
    pub priority: Option<TodoPriority>,
}

/// Input of `TodoWrite`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TodoWriteInput {
    /// The whole updated task list; it replaces the previous one.
    pub todos: Vec<TodoInputItem>,
}

/// One task of the list, with its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TodoItem {
    /// Its id.
    pub id: String,
    /// What is to be done.
    pub content: String,
    /// Its state.
    pub status: TodoStatus,
    /// Its priority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<TodoPriority>,
}

/// The session's task list, shared between the tool and its host (a UI
/// shows it). Clones share the list.
#[derive(Debug, Clone, Default)]
pub struct TodoList {
    items: Arc<Mutex<Vec<TodoItem>>>,
}

impl TodoList {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// The tasks now.
    pub fn items(&self) -> Vec<TodoItem> {
        self.items
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn replace(&self, items: Vec<TodoItem>) {
        *self.items.lock().unwrap_or_else(PoisonError::into_inner) = items;
    }
}

/// The `TodoWrite` tool.
#[derive(Debug, Clone, Default)]
pub struct TodoWriteTool {
    list: TodoList,
}

impl TodoWriteTool {
    /// A tool writing to `list`.
    pub fn new(list: TodoList) -> Self {
        Self { list }
    }

    /// The list this tool writes.
    pub fn list(&self) -> &TodoList {
        &self.list
    }
}

const DESCRIPTION: &str = "\
Creates and updates the task list of this session, to plan and track multi-step work.
- Send the whole list every time; it replaces the previous one.
- Statuses: pending, in_progress, completed, cancelled, blocked. Keep exactly one task \
in_progress while working, and mark tasks completed as soon as they are done.
- Ids are assigned to tasks sent without one; send them back unchanged.";

#[async_trait]
impl TypedTool for TodoWriteTool {
    type Input = TodoWriteInput;

    fn name(&self) -> &str {
        "TodoWrite"
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn targets(&self, _: &TodoWriteInput, _: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(Vec::new())
    }

    async fn call(&self, input: TodoWriteInput, _: &ToolContext) -> Result<ToolOutput, ToolError> {
        let items = assign_ids(input.todos)?;
        self.list.replace(items.clone());
        let in_progress = items
            .iter()
            .filter(|item| item.status == TodoStatus::InProgress)
            .count();
        let mut text = String::from(
            "Todos have been modified successfully. Keep using the list to track your progress.",
        );
        if in_progress > 1 {
            text.push_str(&format!(
                "\nNote: {in_progress} tasks are in_progress; keep only one in progress at a time."
            ));
        }
        Ok(ToolOutput::text(
            text,
            json!({"success": true, "todos": items}),
        ))
    }
}

/// Checks the list and gives every task without an id the smallest unused
/// positive number.
fn assign_ids(todos: Vec<TodoInputItem>) -> Result<Vec<TodoItem>, ToolError> {
    let mut used = BTreeSet::new();
    for (index, todo) in todos.iter().enumerate() {
        if todo.content.trim().is_empty() {
            return Err(ToolError::respond(format!(
                "Invalid input for TodoWrite: field `todos[{index}].content` is empty"
            )));
        }
        if let Some(id) = &todo.id {
            if id.trim().is_empty() {
                return Err(ToolError::respond(format!(
                    "Invalid input for TodoWrite: field `todos[{index}].id` is empty; leave it \
                     out to have one assigned"
                )));
            }
            if !used.insert(id.clone()) {
                return Err(ToolError::respond(format!(
                    "Invalid input for TodoWrite: field `todos[{index}].id`: duplicate id `{id}`"
                )));
            }
        }
    }
    let mut next = 1u64;
    let mut items = Vec::with_capacity(todos.len());
    for todo in todos {
        let id = match todo.id {
            Some(id) => id,
            None => {
                while used.contains(&next.to_string()) {
                    next += 1;
                }
                let id = next.to_string();
                used.insert(id.clone());
                id
            }
        };
        items.push(TodoItem {
            id,
            content: todo.content,
            status: todo.status,
            priority: todo.priority,
        });
    }
    Ok(items)
}
