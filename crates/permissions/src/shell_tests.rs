use super::*;
use pretty_assertions::assert_eq;

fn segments(line: &str) -> Vec<String> {
    analyze(line).segments.into_iter().map(|s| s.text).collect()
}

#[test]
fn separators_split_top_level_segments() {
    assert_eq!(
        segments("a && b || c; d | e |& f & g\nh"),
        vec!["a", "b", "c", "d", "e", "f", "g", "h"]
    );
}

#[test]
fn separators_inside_quotes_are_text() {
    let analysis = analyze("echo 'a && b' \"c; d\"");
    assert_eq!(
        segments("echo 'a && b' \"c; d\""),
        vec!["echo 'a && b' \"c; d\""]
    );
    assert_eq!(
        analysis.commands[0].words,
        vec![
            Word::Static("echo".into()),
            Word::Static("a && b".into()),
            Word::Static("c; d".into())
        ]
    );
    assert!(!analysis.nested);
}

#[test]
fn substitutions_and_subshells_are_nested() {
    for line in [
        "echo $(rm x)",
        "echo `rm x`",
        "(rm x)",
        "cat <(rm x)",
        "{ rm x; }",
        "bash -c 'rm x'",
        "eval rm x",
    ] {
        let analysis = analyze(line);
        assert!(analysis.nested, "{line}");
        assert!(
            analysis.occurrences.contains(&"rm x".to_string()),
            "{line}: {:?}",
            analysis.occurrences
        );
    }
}

#[test]
fn output_redirections_are_recorded() {
    let analysis = analyze("echo hi > out.txt 2>&1 < in.txt");
    assert_eq!(
        analysis.redirects,
        vec![
            Redirect::Write(Word::Static("out.txt".into())),
            Redirect::Read(Word::Static("in.txt".into()))
        ]
    );
    assert!(analyze("ls 2>/dev/null").redirects.is_empty());
}

#[test]
fn garbage_is_opaque() {
    assert!(analyze("echo ((( ").opaque.is_some());
    assert!(analyze("if then fi )").opaque.is_some());
}

#[test]
fn plain_fast_path_agrees_with_the_grammar() {
    for line in [
        "git status",
        "npm run test -- --watch",
        "ls -la src/a.rs",
        "cargo build --features=x,y",
        "a  b",
    ] {
        let fast = analyze(line);
        let mut walker = Walker {
            analysis: Analysis::default(),
            depth: 0,
        };
        walker.analysis.occurrences.push(line.to_string());
        walker.parse_program(line, true);
        assert_eq!(fast, walker.finish(), "{line}");
    }
}

proptest::proptest! {
    #[test]
    fn fast_path_equals_grammar_on_plain_lines(line in "[a-z0-9 _./:=@,+%-]{1,40}") {
        let line = line.trim().to_string();
        if plain_words(&line).is_some() {
            let fast = analyze(&line);
            let mut walker = Walker { analysis: Analysis::default(), depth: 0 };
            walker.analysis.occurrences.push(line.clone());
            walker.parse_program(&line, true);
            assert_eq!(fast, walker.finish(), "{line:?}");
        }
    }
}
