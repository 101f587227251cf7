//! Tool calls streamed by a fake provider change files on disk; parallel
//! calls; denied calls do not run and say which rule would allow them.

use anyhow::Result;
use ferrule_test_support::{FakeModelServer, anthropic, openai};
use pretty_assertions::assert_eq;

use super::harness::{Project, openai_tool_results, run};

#[tokio::test]
async fn streamed_tool_calls_edit_a_file_on_disk() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::tool_calls_reply(
        &[("call_1", "Read", r#"{"file_path":"src/lib.txt"}"#)],
        4,
    ));
    server.mount(openai::tool_calls_reply(
        &[(
            "call_2",
            "Edit",
            r#"{"file_path":"src/lib.txt","old_string":"1 + 1 = 3","new_string":"1 + 1 = 2"}"#,
        )],
        5,
    ));
    server.mount(openai::text_reply("Fixed the sum."));
    let project = Project::new(&[("src/lib.txt", "fact: 1 + 1 = 3\n")])?;
    let out = run(project.openai(
        &server.base_url(),
        &["-p", "fix the sum", "--permission-mode", "acceptEdits"],
    ))
    .await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "Fixed the sum.\n");
    assert_eq!(project.read("src/lib.txt")?, "fact: 1 + 1 = 2\n");
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let results = openai_tool_results(&requests[2].body);
    assert_eq!(results.len(), 2, "{results:?}");
    assert!(results[0].contains("1 + 1 = 3"), "{results:?}");
    Ok(())
}

#[tokio::test]
async fn parallel_read_calls_answer_in_call_order() -> Result<()> {
    let server = FakeModelServer::anthropic().await?;
    server.mount(anthropic::tool_use_reply(
        &[
            ("toolu_1", "Read", r#"{"file_path":"a.txt"}"#),
            ("toolu_2", "Read", r#"{"file_path":"b.txt"}"#),
            ("toolu_3", "Grep", r#"{"pattern":"beta"}"#),
        ],
        3,
    ));
    server.mount(anthropic::text_reply("Read both."));
    let project = Project::new(&[("a.txt", "alpha\n"), ("b.txt", "beta\n")])?;
    let out = run(project.anthropic(&server.base_url(), &["-p", "read", "-o", "json"])).await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.json()?["result"], "Read both.");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let messages = requests[1].body["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let results: Vec<_> = messages
        .iter()
        .flat_map(|m| m["content"].as_array().cloned().unwrap_or_default())
        .filter(|block| block["type"] == "tool_result")
        .collect();
    let ids: Vec<_> = results.iter().map(|r| r["tool_use_id"].clone()).collect();
    assert_eq!(ids, ["toolu_1", "toolu_2", "toolu_3"]);
    assert!(results[0].to_string().contains("alpha"));
    assert!(results[1].to_string().contains("beta"));
    assert!(results[2].to_string().contains("b.txt"));
    Ok(())
}

#[tokio::test]
async fn a_denied_call_does_not_run_and_names_the_rule_to_add() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::tool_calls_reply(
        &[("call_1", "Bash", r#"{"command":"touch marker"}"#)],
        2,
    ));
    server.mount(openai::text_reply("I was not allowed to."));
    let project = Project::new(&[])?;
    let out = run(project.openai(&server.base_url(), &["-p", "touch it", "-o", "json"])).await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(!project.path("marker").exists(), "the denied command ran");
    let result = out.json()?;
    let denials = result["permission_denials"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(denials.len(), 1, "{result}");
    assert_eq!(denials[0]["tool_name"], "Bash");
    assert_eq!(denials[0]["tool_use_id"], "call_1");
    let told = openai_tool_results(&server.requests()[1].body);
    assert_eq!(told.len(), 1);
    assert!(
        told[0].contains(r#"--allowed-tools "Bash(touch marker)""#),
        "{told:?}"
    );

    // With the rule the message named, the same call runs.
    server.mount(openai::tool_calls_reply(
        &[("call_1", "Bash", r#"{"command":"touch marker"}"#)],
        2,
    ));
    server.mount(openai::text_reply("Touched."));
    let out = run(project.openai(
        &server.base_url(),
        &["-p", "touch it", "--allowed-tools", "Bash(touch marker)"],
    ))
    .await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(project.path("marker").exists());
    Ok(())
}

#[tokio::test]
async fn disallowed_tools_are_not_offered() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::text_reply("ok"));
    let project = Project::new(&[])?;
    let out = run(project.openai(
        &server.base_url(),
        &[
            "-p",
            "hi",
            "--tools",
            "Read,Bash",
            "--disallowed-tools",
            "Bash",
        ],
    ))
    .await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let tools: Vec<String> = server.requests()[0].body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["function"]["name"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(tools, ["Read"]);
    Ok(())
}

#[tokio::test]
async fn an_anthropic_streamed_write_creates_the_file() -> Result<()> {
    let server = FakeModelServer::anthropic().await?;
    server.mount(anthropic::tool_use_reply(
        &[(
            "toolu_1",
            "Write",
            r##"{"file_path":"docs/NOTES.md","content":"# Notes\n\nstreamed in pieces\n"}"##,
        )],
        6,
    ));
    server.mount(anthropic::text_reply("Wrote docs/NOTES.md."));
    let project = Project::new(&[])?;
    let out = run(project.anthropic(
        &server.base_url(),
        &["-p", "write notes", "--allowed-tools", "Write"],
    ))
    .await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "Wrote docs/NOTES.md.\n");
    assert_eq!(
        project.read("docs/NOTES.md")?,
        "# Notes\n\nstreamed in pieces\n"
    );
    assert_eq!(server.requests()[0].header("x-api-key"), Some("test-key"));
    Ok(())
}

#[tokio::test]
async fn auto_mode_asks_the_classifier_with_the_user_guidance_only() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::tool_calls_reply(
        &[("call_1", "Bash", r#"{"command":"echo built > out.txt"}"#)],
        1,
    ));
    server.mount(openai::text_reply(
        r#"{"decision": "allow", "reason": "a local build step the user asked for"}"#,
    ));
    server.mount(openai::tool_calls_reply(
        &[("call_2", "Bash", r#"{"command":"echo again > again.txt"}"#)],
        1,
    ));
    server.mount(openai::text_reply(
        r#"{"decision": "deny", "reason": "not part of the request"}"#,
    ));
    server.mount(openai::text_reply("Built once."));
    let project = Project::new(&[(
        ".qoder/settings.json",
        r#"{"autoMode": {"allow": ["anything the project says"]}}"#,
    )])?;
    std::fs::write(
        project.dir().join("../user/settings.json"),
        r#"{"autoMode": {"allow": ["running the build"], "environment": ["a make project"]}}"#,
    )?;
    let out = run(project.openai(
        &server.base_url(),
        &["-p", "build it", "--permission-mode", "auto", "-o", "json"],
    ))
    .await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let json = out.json()?;
    assert_eq!(json["result"], "Built once.");
    assert_eq!(project.read("out.txt")?, "built\n");
    assert!(!project.path("again.txt").exists(), "a refused call ran");
    let denials = json["permission_denials"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(denials.len(), 1, "{json}");
    assert_eq!(denials[0]["tool_use_id"], "call_2");
    let requests = server.requests();
    assert_eq!(requests.len(), 5);
    let judge = requests[1].body.to_string();
    for needle in [
        "running the build",
        "a make project",
        "echo built > out.txt",
        "build it",
    ] {
        assert!(judge.contains(needle), "{needle} missing: {judge}");
    }
    assert!(!judge.contains("anything the project says"), "{judge}");
    let results = openai_tool_results(&requests[4].body);
    assert!(
        results
            .iter()
            .any(|r| r.contains("not part of the request")),
        "{results:?}"
    );
    Ok(())
}

#[tokio::test]
async fn the_config_tool_reads_freely_and_writes_only_with_permission() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::tool_calls_reply(
        &[
            ("c1", "Config", r#"{"action":"get","key":"env.GREETING"}"#),
            (
                "c2",
                "Config",
                r#"{"action":"set","key":"env.GREETING","value":"bye"}"#,
            ),
        ],
        2,
    ));
    server.mount(openai::text_reply("Asked."));
    server.mount(openai::tool_calls_reply(
        &[(
            "c3",
            "Config",
            r#"{"action":"set","key":"env.GREETING","value":"bye","scope":"project"}"#,
        )],
        2,
    ));
    server.mount(openai::text_reply("Changed."));
    let project = Project::new(&[(".qoder/settings.json", r#"{"env": {"GREETING": "hello"}}"#)])?;

    let out = run(project.openai(&server.base_url(), &["-p", "greeting?", "-o", "json"])).await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let results = openai_tool_results(&server.requests()[1].body);
    assert!(
        results[0].contains("env.GREETING = \"hello\""),
        "{results:?}"
    );
    assert!(!results[1].contains("Set `env.GREETING`"), "{results:?}");
    assert_eq!(out.json()?["permission_denials"][0]["tool_use_id"], "c2");
    assert!(!project.path(".qoder/settings.local.json").exists());

    let out = run(project.openai(
        &server.base_url(),
        &[
            "-p",
            "change it",
            "--permission-mode",
            "bypassPermissions",
            "-o",
            "json",
        ],
    ))
    .await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let settings: serde_json::Value = serde_json::from_str(&project.read(".qoder/settings.json")?)?;
    assert_eq!(settings, serde_json::json!({"env": {"GREETING": "bye"}}));
    Ok(())
}

#[tokio::test]
async fn a_subagents_model_runs_the_subagent_and_the_sessions_model_the_rest() -> Result<()> {
    let main = FakeModelServer::openai().await?;
    main.mount(openai::tool_calls_reply(
        &[(
            "call_a",
            "Agent",
            r#"{"description":"ask the reviewer","prompt":"review a.rs","subagent_type":"reviewer"}"#,
        )],
        2,
    ));
    main.mount(openai::text_reply("The reviewer is happy."));
    let other = FakeModelServer::anthropic().await?;
    other.mount(anthropic::text_reply("Looks good to me."));
    let project = Project::new(&[(
        ".qoder/agents/reviewer.md",
        "---\nname: reviewer\ndescription: Reviews code.\nmodel: anthropic/fake-claude\n---\nYou review.\n",
    )])?;
    let mut command = project.openai(
        &main.base_url(),
        &[
            "-p",
            "get a review",
            "--allowed-tools",
            "Agent",
            "-o",
            "json",
        ],
    );
    command
        .env("ANTHROPIC_BASE_URL", other.base_url())
        .env("ANTHROPIC_API_KEY", "test-key");
    let out = run(command).await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.json()?["result"], "The reviewer is happy.");
    assert_eq!(main.requests().len(), 2, "the main model ran the subagent");
    let asked = other.requests();
    assert_eq!(asked.len(), 1);
    assert!(
        asked[0].body.to_string().contains("review a.rs"),
        "{}",
        asked[0].body
    );
    let told = openai_tool_results(&main.requests()[1].body);
    assert!(told[0].contains("Looks good to me."), "{told:?}");

    // A model that does not resolve leaves the subagent on the session's model.
    project.write(
        ".qoder/agents/reviewer.md",
        "---\nname: reviewer\ndescription: Reviews code.\nmodel: nosuch-provider/x\n---\nYou review.\n",
    )?;
    main.mount(openai::tool_calls_reply(
        &[(
            "call_b",
            "Agent",
            r#"{"description":"ask again","prompt":"review b.rs","subagent_type":"reviewer"}"#,
        )],
        2,
    ));
    main.mount(openai::text_reply("Fine by me."));
    main.mount(openai::text_reply("Done."));
    let out = run(project.openai(
        &main.base_url(),
        &["-p", "again", "--allowed-tools", "Agent", "-o", "json"],
    ))
    .await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(main.requests().len(), 5);
    assert!(out.stderr.contains("nosuch-provider/x"), "{}", out.stderr);
    Ok(())
}

#[tokio::test]
async fn a_forked_skill_runs_as_its_subagent_on_its_model_and_effort() -> Result<()> {
    let main = FakeModelServer::openai().await?;
    main.mount(openai::tool_calls_reply(
        &[("call_s", "Skill", r#"{"skill":"review","args":"a.rs"}"#)],
        2,
    ));
    main.mount(openai::text_reply("The review came back clean."));
    let other = FakeModelServer::anthropic().await?;
    other.mount(anthropic::text_reply("a.rs has no problems."));
    let project = Project::new(&[
        (
            ".qoder/agents/reviewer.md",
            "---\nname: reviewer\ndescription: Reviews code.\n---\nYou review.\n",
        ),
        (
            ".qoder/skills/review/SKILL.md",
            "---\nname: review\ndescription: Review one file.\ncontext: fork\nagent: reviewer\n\
             model: anthropic/fake-claude\neffort: high\n---\nReview $ARGUMENTS closely.\n",
        ),
    ])?;
    let mut command = project.openai(&main.base_url(), &["-p", "review a.rs", "-o", "json"]);
    command
        .env("ANTHROPIC_BASE_URL", other.base_url())
        .env("ANTHROPIC_API_KEY", "test-key");
    let out = run(command).await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.json()?["result"], "The review came back clean.");

    // The reviewer ran the skill's instructions, on the skill's model with
    // its effort.
    let asked = other.requests();
    assert_eq!(asked.len(), 1);
    let body = &asked[0].body;
    assert!(body.to_string().contains("Review a.rs closely."), "{body}");
    assert!(body["system"].to_string().contains("You review."), "{body}");
    assert_eq!(body["thinking"]["budget_tokens"], 16_384, "{body}");

    // The main conversation read the report, not the instructions.
    let requests = main.requests();
    assert_eq!(requests.len(), 2);
    let told = openai_tool_results(&requests[1].body);
    assert!(told[0].contains("a.rs has no problems."), "{told:?}");
    assert!(!told[0].contains("closely"), "{told:?}");
    assert!(
        requests[1].body.get("reasoning_effort").is_none(),
        "{}",
        requests[1].body
    );
    Ok(())
}
