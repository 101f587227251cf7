//! Line insertion and deletion counts between two contents (with `similar`).

use similar::{Algorithm, DiffTag, TextDiff};

/// Counts the lines that turning `from` into `to` inserts and deletes.
/// Bytes that are not UTF-8 are compared after lossy decoding.
pub(crate) fn line_counts(from: &[u8], to: &[u8]) -> (u64, u64) {
    let from = String::from_utf8_lossy(from);
    let to = String::from_utf8_lossy(to);
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .diff_lines(from.as_ref(), to.as_ref());
    let mut insertions = 0u64;
    let mut deletions = 0u64;
    for op in diff.ops() {
        let (tag, old, new) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => {}
            DiffTag::Insert => insertions += new.len() as u64,
            DiffTag::Delete => deletions += old.len() as u64,
            DiffTag::Replace => {
                insertions += new.len() as u64;
                deletions += old.len() as u64;
            }
        }
    }
    (insertions, deletions)
}

#[cfg(test)]
mod tests {
    use super::line_counts;

    #[test]
    fn counts_inserted_deleted_and_replaced_lines() {
        assert_eq!(line_counts(b"", b"a\nb\n"), (2, 0));
        assert_eq!(line_counts(b"a\nb\n", b""), (0, 2));
        assert_eq!(line_counts(b"a\nb\nc\n", b"a\nB\nc\nd\n"), (2, 1));
        assert_eq!(line_counts(b"same\n", b"same\n"), (0, 0));
    }
}
