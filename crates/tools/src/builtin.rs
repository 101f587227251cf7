//! The built-in tool set a session registers.

use std::sync::Arc;

use ferrule_search::SearchEngine;
use ferrule_tool::Tool;

use crate::{BackgroundTasks, BashTool, TaskOutputTool, TaskStopTool, WebFetchTool};
use crate::{
    EditTool, GlobTool, GrepTool, LsTool, MultiEditTool, NotebookEditTool, ReadTool, TodoList,
    TodoWriteTool, WriteTool,
};

/// Whether the ferrule extensions `LS` and `MultiEdit` are offered.
///
/// ferrule ships both (Claude Code schemas, governed by the Read and Edit
/// rules; `cli-core.md` A-13), but the Foundation issue keeps them out of the
/// default set because the Qoder CLI's tool list does not name them: the
/// default is exactly the Qoder CLI's names, and embedders opt in with
/// `Include`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Extensions {
    /// Only the tools the Qoder CLI has (the default).
    #[default]
    QoderOnly,
    /// Offer `LS` and `MultiEdit` too.
    Include,
}

/// What [`builtin_tools`] builds.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct BuiltinOptions {
    /// Whether `LS` and `MultiEdit` are included.
    pub extensions: Extensions,
    /// The task list `TodoWrite` writes (share it with a UI).
    pub todos: TodoList,
    /// The warm search engine `Glob` and `Grep` use (share it across sessions of one
    /// process so the cache serves them all).
    pub search: Arc<SearchEngine>,
    /// The session's background shells, shared by `Bash`, `TaskOutput` and
    /// `TaskStop` (keep a clone to poll exit notices; the tasks are killed
    /// when the last clone goes).
    pub background: BackgroundTasks,
    /// The `WebFetch` tool (set a summarizer or limits on it; clones share
    /// the page cache).
    pub web_fetch: WebFetchTool,
}

impl BuiltinOptions {
    /// Sets whether the extensions are included.
    pub fn extensions(mut self, extensions: Extensions) -> Self {
        self.extensions = extensions;
        self
    }

    /// Sets the task list `TodoWrite` writes.
    pub fn todos(mut self, todos: TodoList) -> Self {
        self.todos = todos;
        self
    }

    /// Sets the search engine `Glob` and `Grep` use.
    pub fn search(mut self, search: Arc<SearchEngine>) -> Self {
        self.search = search;
        self
    }

    /// Sets the background-shell registry `Bash`, `TaskOutput` and
    /// `TaskStop` share.
    pub fn background(mut self, background: BackgroundTasks) -> Self {
        self.background = background;
        self
    }

    /// Sets the `WebFetch` tool.
    pub fn web_fetch(mut self, web_fetch: WebFetchTool) -> Self {
        self.web_fetch = web_fetch;
        self
    }
}

/// The built-in tools, in the order the model sees them.
pub fn builtin_tools(options: &BuiltinOptions) -> Vec<Arc<dyn Tool>> {
    let mut tools: Vec<Arc<dyn Tool>> =
        vec![Arc::new(ReadTool), Arc::new(WriteTool), Arc::new(EditTool)];
    match options.extensions {
        Extensions::Include => tools.push(Arc::new(MultiEditTool)),
        Extensions::QoderOnly => {}
    }
    tools.push(Arc::new(GlobTool::new(Arc::clone(&options.search))));
    tools.push(Arc::new(GrepTool::new(Arc::clone(&options.search))));
    match options.extensions {
        Extensions::Include => tools.push(Arc::new(LsTool)),
        Extensions::QoderOnly => {}
    }
    tools.push(Arc::new(BashTool::new(options.background.clone())));
    tools.push(Arc::new(options.web_fetch.clone()));
    tools.push(Arc::new(NotebookEditTool));
    tools.push(Arc::new(TaskOutputTool::new(options.background.clone())));
    tools.push(Arc::new(TaskStopTool::new(options.background.clone())));
    tools.push(Arc::new(TodoWriteTool::new(options.todos.clone())));
    tools
}
