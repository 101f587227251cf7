//! ferrule's Grep engine against the real rg on the fixture tree: for each
//! query the whole output text must equal `rg --sort path`'s (sliced by
//! `offset`/`head_limit`, which rg lacks), for the one-shot search and for
//! the warm engine, cold and warm.

use std::path::Path;

use anyhow::Result;
use ferrule_search::{
    CaseMode, EngineConfig, GrepEntry, GrepQuery, OutputMode, SearchEngine, SearchLimits, grep,
};
use pretty_assertions::assert_eq;

use super::fixture::{self, rg_available, run_rg};

/// The rg command line for `query` (run from the fixture root).
fn rg_args(query: &GrepQuery) -> Vec<String> {
    let mut args: Vec<String> = Vec::new();
    match query.output_mode {
        OutputMode::Content => {}
        OutputMode::FilesWithMatches => args.push("-l".into()),
        OutputMode::Count => args.push("-c".into()),
        other => panic!("no rg flag for {other:?}"),
    }
    args.push(if query.line_numbers { "-n" } else { "-N" }.into());
    if query.case == CaseMode::Insensitive {
        args.push("-i".into());
    }
    if query.before_context > 0 {
        args.push(format!("-B{}", query.before_context));
    }
    if query.after_context > 0 {
        args.push(format!("-A{}", query.after_context));
    }
    if query.only_matching {
        args.push("-o".into());
    }
    if query.multiline {
        args.push("-U".into());
        args.push("--multiline-dotall".into());
    }
    for glob in &query.globs {
        args.push("-g".into());
        args.push(glob.clone());
    }
    if let Some(name) = &query.file_type {
        args.push("-t".into());
        args.push(name.clone());
    }
    args.push("-e".into());
    args.push(query.pattern.clone());
    if query.root.is_file() {
        args.push(query.root.display().to_string());
    }
    args
}

/// Where rg runs: inside a directory root (so paths print relative to it,
/// as ours do), or in the fixture root for a file root.
fn rg_cwd<'a>(query: &'a GrepQuery, root: &'a Path) -> &'a Path {
    if query.root.is_dir() {
        &query.root
    } else {
        root
    }
}

/// rg's output lines sliced the way `offset` and `head_limit` slice ours.
fn slice(text: &str, query: &GrepQuery) -> String {
    if text.is_empty() {
        return String::new();
    }
    let lines = text.split('\n').skip(query.offset);
    match query.head_limit {
        Some(limit) => lines.take(limit).collect::<Vec<_>>().join("\n"),
        None => lines.collect::<Vec<_>>().join("\n"),
    }
}

type Case = (&'static str, fn(&Path) -> GrepQuery);

fn content(pattern: &str, root: &Path) -> GrepQuery {
    GrepQuery::new(pattern, root)
        .output_mode(OutputMode::Content)
        .line_numbers(true)
}

const CASES: &[Case] = &[
    ("files_with_matches_default", |r| GrepQuery::new("foo", r)),
    ("content_line_numbers", |r| content("foo", r)),
    ("content_without_line_numbers", |r| {
        content("foo", r).line_numbers(false)
    }),
    ("count", |r| {
        GrepQuery::new("foo", r).output_mode(OutputMode::Count)
    }),
    ("case_insensitive_content", |r| {
        content("FOO", r).case(CaseMode::Insensitive)
    }),
    ("case_insensitive_count", |r| {
        GrepQuery::new("todo", r)
            .case(CaseMode::Insensitive)
            .output_mode(OutputMode::Count)
    }),
    ("glob_rs", |r| content("foo", r).glob("*.rs")),
    ("glob_negated", |r| GrepQuery::new("foo", r).glob("!*.rs")),
    ("glob_directory_path", |r| {
        GrepQuery::new("foo", r).glob("src/**")
    }),
    ("globs_combined", |r| {
        GrepQuery::new("foo", r).glob("*.md").glob("!docs/a/**")
    }),
    ("glob_whitelists_ignored_file", |r| {
        GrepQuery::new("foo", r).glob("*.log")
    }),
    ("type_rust", |r| content("fn", r).file_type("rust")),
    ("type_py", |r| GrepQuery::new("foo", r).file_type("py")),
    ("type_c_count", |r| {
        GrepQuery::new("foo", r)
            .file_type("c")
            .output_mode(OutputMode::Count)
    }),
    ("context_both", |r| content("foo", r).context(1)),
    ("context_after", |r| content("TODO", r).after_context(2)),
    ("context_before", |r| content("foo", r).before_context(2)),
    ("context_overlapping_groups", |r| {
        content("line [0-9]+ foo", r).context(2)
    }),
    ("only_matching", |r| content("fo+", r).only_matching(true)),
    ("only_matching_several_per_line", |r| {
        content("a.", r).only_matching(true).glob("*.md")
    }),
    ("only_matching_count_counts_matches", |r| {
        GrepQuery::new("o", r)
            .only_matching(true)
            .output_mode(OutputMode::Count)
    }),
    ("only_matching_with_context", |r| {
        content("foo", r)
            .only_matching(true)
            .context(1)
            .glob("*.md")
    }),
    ("multiline_content", |r| {
        content("foo.bar", r).multiline(true)
    }),
    ("multiline_only_matching", |r| {
        content("foo.ba[rz]", r).multiline(true).only_matching(true)
    }),
    ("multiline_count", |r| {
        GrepQuery::new("foo.bar|start", r)
            .multiline(true)
            .output_mode(OutputMode::Count)
    }),
    ("multiline_count_adjacent_matches", |r| {
        GrepQuery::new("foo.bar", r)
            .multiline(true)
            .output_mode(OutputMode::Count)
    }),
    ("only_matching_count_with_empty_matches", |r| {
        GrepQuery::new("o*", r)
            .only_matching(true)
            .output_mode(OutputMode::Count)
            .glob("*.md")
    }),
    ("only_matching_content_with_empty_matches", |r| {
        content("o*", r).only_matching(true).glob("*.md")
    }),
    ("multiline_files_across_lines", |r| {
        GrepQuery::new("start.*end", r).multiline(true)
    }),
    ("multiline_explicit_newline", |r| {
        content("\\{\\n\\s+//", r).multiline(true)
    }),
    ("multiline_with_context", |r| {
        content("foo\\nbar", r).multiline(true).context(1)
    }),
    ("multiline_case_insensitive", |r| {
        content("FOO.BAR", r)
            .multiline(true)
            .case(CaseMode::Insensitive)
    }),
    ("case_insensitive_only_matching", |r| {
        content("todo", r)
            .case(CaseMode::Insensitive)
            .only_matching(true)
    }),
    ("type_and_glob_combined", |r| {
        GrepQuery::new("fn", r)
            .file_type("rust")
            .glob("!src/nested/**")
    }),
    ("negated_directory_glob", |r| {
        GrepQuery::new("foo", r).glob("!src/").glob("!docs")
    }),
    ("glob_with_braces", |r| {
        GrepQuery::new("foo", r).glob("*.{md,txt}")
    }),
    ("context_at_file_edges", |r| {
        content("^line 1$|line 10", r).context(3)
    }),
    ("alternation", |r| content("TODO|FIXME", r)),
    ("word_boundary_only_matching", |r| {
        content(r"\bfn \w+", r).only_matching(true)
    }),
    ("line_anchor", |r| content("^fn", r)),
    ("end_anchor", |r| content("u32 \\{$", r)),
    ("crlf_line_keeps_carriage_return", |r| {
        content("two", r).glob("crlf.txt")
    }),
    ("crlf_end_anchor", |r| content("three$", r)),
    ("non_utf8_lossy", |r| content("caf", r)),
    ("unicode_class", |r| content(r"\p{Lu}\w+", r).glob("*.md")),
    ("no_trailing_newline", |r| content("end$", r).glob("no_*")),
    ("nothing_matches", |r| content("zzz_not_there", r)),
    ("subdirectory_root", |r| {
        content("fn", &r.join("src")).glob("*.rs")
    }),
    ("file_root_content", |r| {
        content("foo", &r.join("src/main.rs"))
    }),
    ("file_root_files", |r| {
        GrepQuery::new("foo", r.join("src/main.rs"))
    }),
    ("file_root_count", |r| {
        GrepQuery::new("o", r.join("README.md")).output_mode(OutputMode::Count)
    }),
    ("file_root_explicit_binary", |r| {
        content("foo", &r.join("bin/data.bin"))
    }),
    ("file_root_explicit_binary_count", |r| {
        GrepQuery::new("foo", r.join("bin/data.bin")).output_mode(OutputMode::Count)
    }),
    ("file_root_ignored_file_is_searched", |r| {
        content("foo", &r.join("app.log"))
    }),
    ("head_limit_content", |r| {
        content("foo", r).head_limit(Some(3))
    }),
    ("offset_and_head_limit_files", |r| {
        GrepQuery::new("foo", r).offset(2).head_limit(Some(2))
    }),
    ("offset_beyond_end", |r| {
        GrepQuery::new("foo", r)
            .output_mode(OutputMode::Count)
            .offset(500)
    }),
    ("head_limit_with_context_counts_separators", |r| {
        content("foo", r).context(1).offset(1).head_limit(Some(7))
    }),
];

fn check(engine: &SearchEngine, root: &Path, name: &str, query: &GrepQuery) -> Result<()> {
    let expected = slice(&run_rg(rg_cwd(query, root), &rg_args(query))?, query);
    let one_shot = grep(query, &SearchLimits::none())?;
    assert_eq!(
        one_shot.results, expected,
        "{name}: one-shot grep differs from rg"
    );
    assert_eq!(
        one_shot.entries.len(),
        if expected.is_empty() {
            0
        } else {
            expected.split('\n').count()
        },
        "{name}: entries"
    );
    assert_eq!(one_shot.partial, None, "{name}");
    for pass in ["cold", "warm"] {
        let out = engine.grep(query, &SearchLimits::none())?;
        assert_eq!(
            out.results, expected,
            "{name}: engine ({pass}) differs from rg"
        );
        assert_eq!(
            out.entries, one_shot.entries,
            "{name}: engine ({pass}) entries"
        );
        assert_eq!(out.total_entries, one_shot.total_entries, "{name}: {pass}");
    }
    Ok(())
}

#[test]
fn every_query_matches_rg_output_exactly() -> Result<()> {
    if !rg_available() {
        return Ok(());
    }
    let (_guard, root) = fixture::build()?;
    // A zero racy window lets the freshly written fixture be cached, so the
    // warm pass really searches from memory.
    let engine = SearchEngine::new(EngineConfig::default().racy_window(std::time::Duration::ZERO));
    let mut failures = Vec::new();
    for (name, make) in CASES {
        let query = make(&root);
        if let Err(err) = std::panic::catch_unwind(|| check(&engine, &root, name, &query)) {
            failures.push(format!("{name}: {err:?}"));
        }
    }
    assert!(CASES.len() >= 25);
    assert_eq!(failures, Vec::<String>::new());
    Ok(())
}

#[test]
fn walked_binary_files_are_skipped_like_rg() -> Result<()> {
    if !rg_available() {
        return Ok(());
    }
    let (_guard, root) = fixture::build()?;
    let query = GrepQuery::new("foo", &root);
    let out = grep(&query, &SearchLimits::none())?;
    let files: Vec<&str> = out.results.split('\n').collect();
    assert!(!files.contains(&"bin/data.bin"), "{files:?}");
    assert!(!files.iter().any(|f| f.contains("loop")), "{files:?}");
    Ok(())
}

#[test]
fn entries_carry_structured_lines() -> Result<()> {
    let (_guard, root) = fixture::build()?;
    let query = content("helper", &root).glob("*.rs");
    let out = grep(&query, &SearchLimits::none())?;
    let lines: Vec<(String, u64, String)> = out
        .entries
        .iter()
        .filter_map(|e| match e {
            GrepEntry::Match(l) => {
                Some((l.path.display().to_string(), l.line_number, l.text.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            (
                "src/main.rs".to_string(),
                5,
                "    let foo = helper();".to_string()
            ),
            (
                "src/main.rs".to_string(),
                9,
                "fn helper() -> u32 {".to_string()
            ),
        ]
    );
    assert_eq!((out.match_count, out.matched_files), (2, 1));
    Ok(())
}
