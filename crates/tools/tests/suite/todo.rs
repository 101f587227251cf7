//! TodoWrite: whole-list replacement, ids, statuses, validation.

use ferrule_tools::{BuiltinOptions, TodoList, TodoStatus};
use pretty_assertions::assert_eq;
use serde_json::json;

use super::common::{Session, model_error};

#[tokio::test]
async fn the_list_is_replaced_whole_and_missing_ids_are_assigned() {
    let todos = TodoList::new();
    let session = Session::with_options(&BuiltinOptions::default().todos(todos.clone()));
    let first = json!({"todos": [
        {"content": "write tests", "status": "in_progress", "priority": "high"},
        {"id": "1", "content": "read code", "status": "completed"},
        {"content": "ship", "status": "pending"}
    ]});
    let out = session.call("TodoWrite", first).await.unwrap();
    assert_eq!(
        out.structured,
        json!({"success": true, "todos": [
            {"id": "2", "content": "write tests", "status": "in_progress", "priority": "high"},
            {"id": "1", "content": "read code", "status": "completed"},
            {"id": "3", "content": "ship", "status": "pending"}
        ]})
    );
    let second = json!({"todos": [
        {"id": "3", "content": "ship", "status": "blocked"},
        {"content": "drop", "status": "cancelled"}
    ]});
    session.call("TodoWrite", second).await.unwrap();
    let statuses: Vec<(String, TodoStatus)> = todos
        .items()
        .into_iter()
        .map(|item| (item.id, item.status))
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("3".to_owned(), TodoStatus::Blocked),
            ("1".to_owned(), TodoStatus::Cancelled)
        ]
    );
}

#[tokio::test]
async fn todo_write_rejects_bad_items_naming_them() {
    let session = Session::new();
    let cases = [
        (
            json!({"todos": [{"content": "a", "status": "done"}]}),
            "Invalid input for TodoWrite: field `todos[0].status`: unknown variant `done`, expected one of `pending`, `in_progress`, `completed`, `cancelled`, `blocked`",
        ),
        (
            json!({"todos": [{"content": "a", "status": "pending"}, {"content": " ", "status": "pending"}]}),
            "Invalid input for TodoWrite: field `todos[1].content` is empty",
        ),
        (
            json!({"todos": [{"id": "x", "content": "a", "status": "pending"}, {"id": "x", "content": "b", "status": "pending"}]}),
            "Invalid input for TodoWrite: field `todos[1].id`: duplicate id `x`",
        ),
        (
            json!({"todo": []}),
            "Invalid input for TodoWrite: unknown field `todo`, expected `todos`",
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(
            model_error(session.call("TodoWrite", input.clone()).await),
            expected,
            "{input}"
        );
    }
}

#[tokio::test]
async fn several_items_in_progress_get_a_reminder() {
    let session = Session::new();
    let input = json!({"todos": [
        {"content": "a", "status": "in_progress"},
        {"content": "b", "status": "in_progress"}
    ]});
    let out = session.call("TodoWrite", input).await.unwrap();
    assert!(
        out.text_content()
            .ends_with("Note: 2 tasks are in_progress; keep only one in progress at a time.")
    );
}
