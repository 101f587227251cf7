//! `session/load` replays the conversation and the next prompt continues it.

use agent_client_protocol::v1::schema::{
    LoadSessionRequest, NewSessionRequest, PromptRequest, SessionUpdate, StopReason,
};
use ferrule_setup::{Host, SetupOptions};
use ferrule_test_support::{FakeModelServer, openai};

use super::harness::{Recorder, Sandbox, in_memory, with_client};

fn setup(sandbox: &Sandbox, server: &FakeModelServer) -> SetupOptions {
    let mut env = sandbox.env();
    env.insert("OPENAI_BASE_URL".into(), server.base_url());
    env.insert("OPENAI_API_KEY".into(), "test-key".into());
    let mut setup = SetupOptions::new(Host::Sdk, sandbox.project(), env);
    setup.model = Some("openai/fake-gpt".into());
    setup
}

#[tokio::test]
async fn load_replays_the_history_and_the_conversation_continues() {
    let sandbox = Sandbox::new();
    let server = FakeModelServer::openai().await.unwrap();
    server.mount(openai::text_reply("Noted: kiwi."));
    server.mount(openai::text_reply("You said kiwi."));
    let project = sandbox.project();

    let (transport, first) = in_memory(setup(&sandbox, &server));
    let session_id = with_client(transport, Recorder::default(), async |cx, _| {
        let session = cx
            .send_request(NewSessionRequest::new(&project))
            .block_task()
            .await
            .unwrap();
        let response = cx
            .send_request(PromptRequest::new(
                session.session_id.clone(),
                vec!["Remember the word kiwi".into()],
            ))
            .block_task()
            .await
            .unwrap();
        assert_eq!(response.stop_reason, StopReason::EndTurn);
        session.session_id
    })
    .await;
    first.await.unwrap().unwrap();

    let (transport, _second) = in_memory(setup(&sandbox, &server));
    let recorder = Recorder::default();
    let (replayed, after) = with_client(transport, recorder.clone(), async |cx, _| {
        let loaded = cx
            .send_request(LoadSessionRequest::new(session_id.clone(), &project))
            .block_task()
            .await
            .unwrap();
        assert_eq!(loaded.modes.unwrap().current_mode_id.0.as_ref(), "default");
        let replayed = recorder.take_updates();
        let response = cx
            .send_request(PromptRequest::new(
                session_id.clone(),
                vec!["Which word?".into()],
            ))
            .block_task()
            .await
            .unwrap();
        assert_eq!(response.stop_reason, StopReason::EndTurn);
        (replayed, recorder.take_updates())
    })
    .await;
    let user_text: String = replayed
        .iter()
        .filter_map(|u| match u {
            SessionUpdate::UserMessageChunk(chunk) => match &chunk.content {
                agent_client_protocol::v1::schema::ContentBlock::Text(t) => Some(t.text.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert!(user_text.contains("Remember the word kiwi"), "{replayed:?}");
    assert_eq!(Recorder::agent_text(&replayed), "Noted: kiwi.");
    assert_eq!(Recorder::agent_text(&after), "You said kiwi.");
    // The second model request carried the first exchange.
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let history = requests[1].body["messages"].to_string();
    assert!(history.contains("Remember the word kiwi"), "{history}");
    assert!(history.contains("Noted: kiwi."), "{history}");
}
