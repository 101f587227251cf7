//! Cursor pagination over the `objects` and `events` tables (`cloud-api.md`
//! §2.11): newest or oldest first by sequence, `page`/`after_id`/`before_id`,
//! and the `{data, first_id, last_id, has_more, next_page}` envelope.

use serde_json::{Value, json};
use sqlx::{AnyPool, Row};

use crate::error::ApiError;
use crate::input::{Cursor, Order, QueryPairs};

/// A value bound into a list query.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    /// Text.
    Text(String),
    /// Integer.
    Int(i64),
}

/// One list request.
#[derive(Debug, Clone)]
pub(crate) struct ListSpec {
    /// `objects` or `events`.
    pub(crate) table: &'static str,
    /// Conditions, each a SQL fragment with `?` for its one bind value
    /// (numbered when the query is built), or none.
    pub(crate) conditions: Vec<(String, Option<Bind>)>,
    /// Order of the list.
    pub(crate) order: Order,
    /// Page size.
    pub(crate) limit: usize,
    /// Where the page starts.
    pub(crate) cursor: Cursor,
}

/// A page of rows: (ID, JSON body).
#[derive(Debug, Clone)]
pub(crate) struct Page {
    /// The items, in list order.
    pub(crate) items: Vec<(String, Value)>,
    /// Whether more exist past this page in the paging direction.
    pub(crate) has_more: bool,
    /// Whether the page was read backwards (`before_id`).
    pub(crate) backward: bool,
}

impl Page {
    /// The response envelope, with each body passed through `render`.
    pub(crate) fn envelope(self, render: impl Fn(Value) -> Value) -> Value {
        let first = self.items.first().map(|(id, _)| id.clone());
        let last = self.items.last().map(|(id, _)| id.clone());
        let next = if self.has_more && !self.backward {
            last.clone()
        } else {
            None
        };
        let data: Vec<Value> = self
            .items
            .into_iter()
            .map(|(_, body)| render(body))
            .collect();
        json!({
            "data": data,
            "first_id": first,
            "last_id": last,
            "has_more": self.has_more,
            "next_page": next,
        })
    }
}

/// The conditions a plain object list starts with: its kind, archived
/// objects only with `include_archived=true`, and the `created_at[...]`
/// bounds of the query.
pub(crate) fn kind_conditions(
    kind: &str,
    query: &QueryPairs,
) -> Result<Vec<(String, Option<Bind>)>, ApiError> {
    let mut conditions = vec![("kind = ?".to_owned(), Some(Bind::Text(kind.to_owned())))];
    if query.bool("include_archived")? != Some(true) {
        conditions.push(("archived = 0".to_owned(), None));
    }
    for (op, micros) in query.created_at()? {
        conditions.push((format!("seq {op} ?"), Some(Bind::Int(micros))));
    }
    Ok(conditions)
}

/// A newest-first page of `objects` rows matching `conditions`, with the
/// query's `limit` and cursor.
pub(crate) async fn objects(
    pool: &AnyPool,
    conditions: Vec<(String, Option<Bind>)>,
    query: &QueryPairs,
) -> Result<Page, ApiError> {
    run(
        pool,
        ListSpec {
            table: "objects",
            conditions,
            order: Order::Desc,
            limit: query.limit()?,
            cursor: query.cursor()?,
        },
    )
    .await
}

/// Runs a list query.
pub(crate) async fn run(pool: &AnyPool, spec: ListSpec) -> Result<Page, ApiError> {
    let mut conditions = spec.conditions.clone();
    let descending = spec.order == Order::Desc;
    let backward = matches!(spec.cursor, Cursor::Before(_));
    match &spec.cursor {
        Cursor::Start => {}
        Cursor::After(id) | Cursor::Before(id) => {
            let seq = cursor_seq(pool, &spec, id).await?;
            // After: further along the list; before: back towards its start.
            let forward_op = if descending { "<" } else { ">" };
            let back_op = if descending { ">" } else { "<" };
            let op = if backward { back_op } else { forward_op };
            conditions.push((format!("seq {op} ?"), Some(Bind::Int(seq))));
        }
    }
    // Reading backwards walks the opposite order, then flips the page.
    let sql_desc = descending != backward;
    let mut sql = format!("SELECT id, body FROM {} WHERE 1 = 1", spec.table);
    let mut binds = Vec::new();
    for (fragment, bind) in &conditions {
        let mut fragment = fragment.clone();
        if let Some(bind) = bind {
            binds.push(bind.clone());
            fragment = fragment.replacen('?', &format!("${}", binds.len()), 1);
        }
        sql.push_str(" AND ");
        sql.push_str(&fragment);
    }
    sql.push_str(if sql_desc {
        " ORDER BY seq DESC"
    } else {
        " ORDER BY seq ASC"
    });
    sql.push_str(&format!(" LIMIT {}", spec.limit + 1));
    let mut query = sqlx::query(&sql);
    for bind in binds {
        query = match bind {
            Bind::Text(text) => query.bind(text),
            Bind::Int(n) => query.bind(n),
        };
    }
    let rows = query.fetch_all(pool).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let id: String = row.try_get("id")?;
        let body: String = row.try_get("body")?;
        let body = serde_json::from_str(&body).map_err(ApiError::internal)?;
        items.push((id, body));
    }
    let has_more = items.len() > spec.limit;
    items.truncate(spec.limit);
    if backward {
        items.reverse();
    }
    Ok(Page {
        items,
        has_more,
        backward,
    })
}

async fn cursor_seq(pool: &AnyPool, spec: &ListSpec, id: &str) -> Result<i64, ApiError> {
    // The cursor must be an item of the same list (same base conditions).
    let mut sql = format!("SELECT seq FROM {} WHERE id = $1", spec.table);
    let mut binds = vec![Bind::Text(id.to_owned())];
    for (fragment, bind) in &spec.conditions {
        if fragment.contains("seq") || fragment.contains("archived") {
            continue;
        }
        let mut fragment = fragment.clone();
        if let Some(bind) = bind {
            binds.push(bind.clone());
            fragment = fragment.replacen('?', &format!("${}", binds.len()), 1);
        }
        sql.push_str(" AND ");
        sql.push_str(&fragment);
    }
    let mut query = sqlx::query(&sql);
    for bind in binds {
        query = match bind {
            Bind::Text(text) => query.bind(text),
            Bind::Int(n) => query.bind(n),
        };
    }
    let row = query.fetch_optional(pool).await?;
    match row {
        Some(row) => Ok(row.try_get("seq")?),
        None => Err(ApiError::invalid("Invalid pagination cursor.")),
    }
}
