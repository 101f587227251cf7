//! Multiagent sessions (managed-agents.md): a coordinator delegating to
//! child threads through its control tools, mailboxes, thread events and
//! the session's idle state across threads.

use std::time::Duration;

use ferrule_test_support::{Reply, openai};
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::common::{Harness, KEY, types};

const TOOLSET: &str = "agent_toolset_20260401";

/// A plain agent (`model` "ultimate" is the fake model server).
async fn agent(h: &Harness, name: &str, model: &str, system: &str) -> String {
    let agent = h
        .ok(
            "/agents",
            json!({"name": name, "model": model, "system": system,
                   "tools": [{"type": TOOLSET, "enabled_tools": ["Read"]}]}),
        )
        .await;
    agent["id"].as_str().unwrap().to_owned()
}

/// A session whose agent coordinates `roster`.
async fn coordinator_session(h: &Harness, roster: Value) -> String {
    let coordinator = h
        .ok(
            "/agents",
            json!({"name": "Boss", "model": "ultimate", "system": "delegate",
                   "tools": [{"type": TOOLSET, "enabled_tools": ["Read"]}],
                   "multiagent": {"type": "coordinator", "agents": roster}}),
        )
        .await;
    let env = h.default_env().await;
    let session = h
        .ok(
            "/sessions",
            json!({"agent": coordinator["id"], "environment_id": env}),
        )
        .await;
    session["id"].as_str().unwrap().to_owned()
}

/// A model script for a child on the `scripted` provider: one answer per
/// model request of a turn.
fn script(h: &Harness, name: &str, turns: Value) -> String {
    let path = h.dir.path().join(name);
    std::fs::write(&path, json!({"turns": turns}).to_string()).unwrap();
    format!("scripted/{}", path.display())
}

/// Every event of a session, following the pages.
async fn all_events(h: &Harness, path: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut page: Option<String> = None;
    loop {
        let url = match &page {
            Some(page) => format!("{path}?limit=100&page={page}"),
            None => format!("{path}?limit=100"),
        };
        let (status, list) = h.get(&url).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        out.extend(list["data"].as_array().unwrap().iter().cloned());
        match list["next_page"].as_str() {
            Some(next) if list["has_more"] == true => page = Some(next.to_owned()),
            _ => return out,
        }
    }
}

/// Waits until the session is idle with a last `session.status_idle`.
async fn wait_idle(h: &Harness, session: &str) -> Vec<Value> {
    for _ in 0..1000 {
        let events = all_events(h, &format!("/sessions/{session}/events")).await;
        let (_, body) = h.get(&format!("/sessions/{session}")).await;
        if body["status"] == "idle"
            && events
                .last()
                .is_some_and(|e| e["type"] == "session.status_idle")
        {
            return events;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "session {session} never went idle: {:?}",
        types(&all_events(h, &format!("/sessions/{session}/events")).await)
    );
}

fn of_thread<'a>(events: &'a [Value], thread: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["session_thread_id"] == thread)
        .collect()
}

fn offered(request: &Value) -> Vec<String> {
    request["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| t["function"]["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Reads SSE frames until `until` holds for the events seen.
async fn read_stream(response: reqwest::Response, until: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let mut body = response.bytes_stream();
    let mut buffer = String::new();
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !until(&seen) {
        let chunk = tokio::time::timeout_at(deadline, body.next())
            .await
            .expect("the stream went quiet")
            .expect("the stream ended")
            .unwrap();
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            if let Some(data) = frame.lines().find_map(|l| l.strip_prefix("data: ")) {
                seen.push(serde_json::from_str(data).unwrap());
            }
        }
    }
    seen
}

#[tokio::test]
async fn agent_delegates_to_a_child_and_gets_its_report() {
    let h = Harness::start().await;
    let child = agent(&h, "Researcher", "ultimate", "You research.").await;
    let session = coordinator_session(
        &h,
        json!([{"type": "agent", "id": child, "name": "Research Agent"}]),
    )
    .await;
    let prompt = json!({"agent_id": child, "prompt": "find x"}).to_string();
    h.model
        .mount(openai::tool_calls_reply(&[("call_1", "Agent", &prompt)], 2));
    h.model.mount(openai::tool_calls_reply(
        &[("call_c", "send_to_parent", r#"{"message": "x is 42"}"#)],
        1,
    ));
    h.model.mount(openai::text_reply("Reported."));
    h.model.mount(openai::text_reply("The answer is 42."));
    h.say(&session, "what is x?").await;
    let events = wait_idle(&h, &session).await;

    let (_, threads) = h.get(&format!("/sessions/{session}/threads")).await;
    let threads = threads["data"].as_array().unwrap().clone();
    assert_eq!(threads.len(), 2, "{threads:#?}");
    let primary = threads[0]["id"].as_str().unwrap().to_owned();
    let tid = threads[1]["id"].as_str().unwrap().to_owned();
    assert_eq!(threads[1]["type"], "session_thread");
    assert_eq!(threads[1]["session_id"], session);
    assert_eq!(threads[1]["parent_thread_id"], primary);
    assert_eq!(threads[1]["status"], "idle");
    assert_eq!(threads[1]["agent"]["id"], child);
    assert!(threads[1]["agent"].get("multiagent").is_none());
    assert!(threads[1].get("agent_name").is_none());
    let (status, got) = h.get(&format!("/sessions/{session}/threads/{tid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, threads[1]);

    // The whole flow, in order: the child works inside the Agent call.
    let flow: Vec<(String, bool)> = events
        .iter()
        .filter(|e| !e["type"].as_str().unwrap().starts_with("span."))
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_owned(),
                e["session_thread_id"] == tid.as_str(),
            )
        })
        .collect();
    let expected: Vec<(String, bool)> = [
        ("user.message", false),
        ("session.status_running", false),
        ("agent.tool_use", false),
        ("session.thread_created", true),
        ("agent.thread_message_sent", true),
        ("session.thread_status_running", true),
        ("agent.tool_use", true),
        ("agent.thread_message_received", true),
        ("agent.tool_result", true),
        ("agent.message", true),
        ("session.thread_status_idle", true),
        ("agent.tool_result", false),
        ("agent.message", false),
        ("session.status_idle", false),
    ]
    .iter()
    .map(|(t, child)| ((*t).to_owned(), *child))
    .collect();
    assert_eq!(flow, expected, "{:?}", types(&events));
    let find = |kind: &str| events.iter().find(|e| e["type"] == kind).unwrap();
    assert_eq!(
        find("session.thread_created")["agent_name"],
        "Research Agent"
    );
    let sent = find("agent.thread_message_sent");
    assert_eq!(sent["content"], json!([{"type": "text", "text": "find x"}]));
    assert_eq!(sent["from_session_thread_id"], primary);
    assert_eq!(sent["to_session_thread_id"], tid);
    assert_eq!(sent["from_agent_name"], "Boss");
    assert_eq!(sent["to_agent_name"], "Research Agent");
    let received = find("agent.thread_message_received");
    assert_eq!(received["content"][0]["text"], "x is 42");
    assert_eq!(received["from_session_thread_id"], tid);
    assert_eq!(received["to_session_thread_id"], primary);
    let idle = find("session.thread_status_idle");
    assert_eq!(idle["stop_reason"]["type"], "end_turn");
    assert_eq!(idle["agent_name"], "Research Agent");
    let results: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "agent.tool_result" && e.get("session_thread_id").is_none())
        .collect();
    assert_eq!(results[0]["is_error"], false);
    assert_eq!(results[0]["content"][0]["text"], "x is 42");
    assert_eq!(
        events
            .iter()
            .filter(|e| e["type"] == "session.status_idle")
            .count(),
        1
    );

    // The coordinator had the control tools, the child its own tools and
    // send_to_parent, with its own system prompt and the task as input.
    let requests = h.model.requests();
    assert_eq!(requests.len(), 4);
    let coordinator_tools = offered(&requests[0].body);
    for name in ["create_agent", "Agent", "send_to_agent", "list_agents"] {
        assert!(
            coordinator_tools.contains(&name.to_owned()),
            "{coordinator_tools:?}"
        );
    }
    assert!(!coordinator_tools.contains(&"send_to_parent".to_owned()));
    assert_eq!(offered(&requests[1].body), ["Read", "send_to_parent"]);
    let child_request = requests[1].body.to_string();
    assert!(child_request.contains("You research.") && child_request.contains("find x"));
    assert!(
        !child_request.contains("what is x?"),
        "the child has its own history"
    );

    // Thread events: the child's are exactly those tagged with it, the
    // primary thread's the rest.
    let child_events = all_events(&h, &format!("/sessions/{session}/threads/{tid}/events")).await;
    let tagged: Vec<Value> = of_thread(&events, &tid).into_iter().cloned().collect();
    assert_eq!(child_events, tagged);
    let primary_events =
        all_events(&h, &format!("/sessions/{session}/threads/{primary}/events")).await;
    let untagged: Vec<Value> = events
        .iter()
        .filter(|e| e.get("session_thread_id").is_none())
        .cloned()
        .collect();
    assert_eq!(primary_events, untagged);

    // The thread stream replays the child's events only.
    let url = h.url(&format!("/sessions/{session}/threads/{tid}/stream"));
    let response = h.client.get(&url).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let streamed = read_stream(response, |seen| seen.len() >= tagged.len()).await;
    assert_eq!(streamed, tagged);
    // A Last-Event-ID of the coordinator is not one of the child thread.
    let response = h
        .client
        .get(&url)
        .bearer_auth(KEY)
        .header("Last-Event-ID", events[0]["id"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // The idle child can be archived; the coordinator cannot.
    let (status, archived) = h
        .post(
            &format!("/sessions/{session}/threads/{tid}/archive"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{archived}");
    assert!(archived["archived_at"].is_string());
    let (status, _) = h
        .post(
            &format!("/sessions/{session}/threads/{primary}/archive"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let last = all_events(&h, &format!("/sessions/{session}/events")).await;
    assert_eq!(
        last.last().unwrap()["type"],
        "session.thread_status_terminated"
    );
    assert!(
        h.model.violations().is_empty(),
        "{:?}",
        h.model.violations()
    );
}

#[tokio::test]
async fn create_agent_returns_at_once_and_the_report_starts_the_next_turn() {
    let h = Harness::start().await;
    let model = script(
        &h,
        "counter.json",
        json!([
            {"blocks": [{"type": "tool_use", "id": "c1", "name": "send_to_parent",
                         "input": {"message": "done: 7"}}]},
            {"blocks": [{"type": "text", "text": "bye"}]},
        ]),
    );
    let child = agent(&h, "Counter agent", &model, "You count.").await;
    let session = coordinator_session(&h, json!([child])).await;
    let create = json!({"agent_id": child, "agent_name": "Counter", "task": "count"}).to_string();
    h.model.mount(openai::tool_calls_reply(
        &[("call_1", "create_agent", &create)],
        1,
    ));
    h.model
        .mount(openai::text_reply("Waiting for the counter."));
    h.model.mount(openai::text_reply("Counter says 7."));
    h.say(&session, "count for me").await;
    let events = wait_idle(&h, &session).await;

    let (_, threads) = h.get(&format!("/sessions/{session}/threads")).await;
    let tid = threads["data"][1]["id"].as_str().unwrap().to_owned();
    let result = events
        .iter()
        .find(|e| e["type"] == "agent.tool_result" && e.get("session_thread_id").is_none())
        .unwrap();
    assert_eq!(
        result["content"][0]["text"],
        format!("Created agent thread: {tid}")
    );
    // One idle at the very end: the session ran while the child did.
    assert_eq!(
        events
            .iter()
            .filter(|e| e["type"] == "session.status_idle")
            .count(),
        1,
        "{:?}",
        types(&events)
    );
    let messages: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "agent.message" && e.get("session_thread_id").is_none())
        .collect();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1]["content"][0]["text"], "Counter says 7.");
    // The report was the user-side input of the coordinator's next turn.
    let requests = h.model.requests();
    assert_eq!(requests.len(), 3);
    let last = requests[2].body.to_string();
    assert!(
        last.contains(&format!("Message from agent thread {tid} (Counter):"))
            && last.contains("done: 7"),
        "{last}"
    );
    let child_events = of_thread(&events, &tid);
    assert_eq!(child_events[0]["type"], "session.thread_created");
    assert_eq!(child_events[0]["agent_name"], "Counter");
    assert_eq!(
        child_events.last().unwrap()["type"],
        "session.thread_status_idle"
    );
}

#[tokio::test]
async fn a_session_holds_at_most_25_threads() {
    let h = Harness::start().await;
    let model = script(
        &h,
        "quiet.json",
        json!([{"blocks": [{"type": "text", "text": "ok"}]}]),
    );
    let child = agent(&h, "Quiet", &model, "Say ok.").await;
    let session = coordinator_session(&h, json!([child])).await;
    let create = json!({"agent_id": child, "task": "go"}).to_string();
    let ids: Vec<String> = (0..25).map(|i| format!("call_{i}")).collect();
    let calls: Vec<(&str, &str, &str)> = ids
        .iter()
        .map(|id| (id.as_str(), "create_agent", create.as_str()))
        .collect();
    h.model.mount(openai::tool_calls_reply(&calls, 1));
    h.model.mount(openai::text_reply("Done."));
    h.say(&session, "fan out").await;
    let events = wait_idle(&h, &session).await;
    let results: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "agent.tool_result" && e.get("session_thread_id").is_none())
        .collect();
    assert_eq!(results.len(), 25);
    assert!(results[..24].iter().all(|r| r["is_error"] == false));
    assert_eq!(results[24]["is_error"], true);
    let text = results[24]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("25 threads"), "{text}");
    let (_, threads) = h
        .get(&format!("/sessions/{session}/threads?limit=50"))
        .await;
    assert_eq!(threads["data"].as_array().unwrap().len(), 25);
    assert!(
        threads["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "idle")
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| e["type"] == "session.thread_status_idle")
            .count(),
        24
    );
}

#[tokio::test]
async fn a_bad_roster_agent_id_is_a_tool_error_the_model_reads() {
    let h = Harness::start().await;
    let child = agent(&h, "Helper", "ultimate", "help").await;
    let session = coordinator_session(&h, json!([child, {"type": "self"}])).await;
    h.model.mount(openai::tool_calls_reply(
        &[
            (
                "call_1",
                "create_agent",
                r#"{"agent_id": "agent_nope", "task": "x"}"#,
            ),
            (
                "call_2",
                "Agent",
                r#"{"agent_id": "agent_nope", "prompt": "x"}"#,
            ),
            (
                "call_3",
                "send_to_agent",
                r#"{"thread_id": "sthr_nope", "message": "x"}"#,
            ),
            ("call_4", "create_agent", r#"{"agent_id": "self"}"#),
        ],
        1,
    ));
    h.model.mount(openai::text_reply("Sorry."));
    h.say(&session, "delegate").await;
    let events = wait_idle(&h, &session).await;
    let results: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "agent.tool_result")
        .collect();
    assert_eq!(results.len(), 4, "{:?}", types(&events));
    assert!(results.iter().all(|r| r["is_error"] == true));
    let text = |i: usize| {
        results[i]["content"][0]["text"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(
        text(0).contains("'agent_nope' is not in this coordinator's roster"),
        "{}",
        text(0)
    );
    assert!(
        text(0).contains(&child) && text(0).contains("self"),
        "{}",
        text(0)
    );
    assert!(
        text(1).contains("not in this coordinator's roster"),
        "{}",
        text(1)
    );
    assert!(text(2).contains("no agent thread sthr_nope"), "{}", text(2));
    assert!(text(3).contains("task"), "{}", text(3));
    // The model saw the errors as the results of its calls.
    let second = h.model.requests()[1].body.to_string();
    assert!(second.contains("not in this coordinator's roster"));
    let (_, threads) = h.get(&format!("/sessions/{session}/threads")).await;
    assert_eq!(threads["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn cancel_stops_the_coordinator_and_every_child() {
    let h = Harness::start().await;
    let child = agent(&h, "Slow", "ultimate", "work slowly").await;
    let session = coordinator_session(&h, json!([child])).await;
    let create = json!({"agent_id": child, "task": "work"}).to_string();
    h.model.mount(openai::tool_calls_reply(
        &[("call_1", "create_agent", &create)],
        1,
    ));
    // The coordinator's next request and the child's both hang.
    h.model
        .mount(Reply::sse(openai::text_frames("never", 2)).stall());
    h.model
        .mount(Reply::sse(openai::text_frames("never", 2)).stall());
    h.say(&session, "start").await;
    for _ in 0..500 {
        if h.model.requests().len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(h.model.requests().len(), 3);
    let (_, running) = h.get(&format!("/sessions/{session}")).await;
    assert_eq!(running["status"], "running");
    let (status, _) = h
        .post(&format!("/sessions/{session}/cancel"), json!({}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let events = wait_idle(&h, &session).await;
    let (_, threads) = h.get(&format!("/sessions/{session}/threads")).await;
    let tid = threads["data"][1]["id"].as_str().unwrap().to_owned();
    assert_eq!(threads["data"][1]["status"], "idle");
    let child_events = of_thread(&events, &tid);
    assert_eq!(
        child_events.last().unwrap()["type"],
        "session.thread_status_idle",
        "{:?}",
        types(&events)
    );
    assert!(events.iter().all(|e| e["type"] != "agent.message"));
    assert_eq!(
        events
            .iter()
            .filter(|e| e["type"] == "session.status_idle")
            .count(),
        1
    );
    // Nothing from the aborted work arrives later.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let later = all_events(&h, &format!("/sessions/{session}/events")).await;
    assert_eq!(later.len(), events.len(), "{:?}", types(&later));
}
