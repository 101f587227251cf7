//! The `file_unchanged` answer of Read (`cli-core.md` §2.2): a second Read
//! of the same part of a file the session has already been shown, when
//! the file has not changed since, returns a short note instead of the
//! content again, which would only fill the context.
//!
//! What each session was shown is kept beside its [`FileState`] (keyed by
//! that tracker, held weakly, so an ended session's entries go away): the
//! part read (line window or pages) and the stamp recorded for it. The
//! note is given only while all of these hold:
//! - the tracker still holds that same stamp for the path, so no Write or
//!   Edit recorded new content and nobody called [`FileState::forget`];
//! - the same part is asked for;
//! - the file's content now hashes to the recorded stamp (the file is
//!   read again to check, so a change within one clock tick is seen too).
//!
//! An agent that drops earlier tool results from the conversation
//! (compaction) must call [`forget_reads`] so the next Read shows the
//! content again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use ferrule_tool::{FileStamp, FileState, ToolContext};

/// Which part of a file a Read showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    /// A line window of a text file (`offset`, `limit` as given).
    Lines {
        offset: Option<u64>,
        limit: Option<u64>,
    },
    /// Pages of a PDF (`pages` as given).
    Pages(Option<String>),
    /// The whole file (an image, a notebook).
    Whole,
}

#[derive(Debug, Clone)]
struct Shown {
    stamp: FileStamp,
    part: Part,
}

type Views = HashMap<PathBuf, Shown>;

/// One entry per live session tracker.
static SHOWN: Mutex<Vec<(Weak<FileState>, Views)>> = Mutex::new(Vec::new());

fn with_views<T>(state: &Arc<FileState>, f: impl FnOnce(&mut Views) -> T) -> T {
    let mut all = SHOWN.lock().unwrap_or_else(PoisonError::into_inner);
    all.retain(|(weak, _)| weak.strong_count() > 0);
    let index = match all
        .iter()
        .position(|(weak, _)| std::ptr::eq(weak.as_ptr(), Arc::as_ptr(state)))
    {
        Some(index) => index,
        None => {
            all.push((Arc::downgrade(state), Views::new()));
            all.len() - 1
        }
    };
    f(&mut all[index].1)
}

/// Records that the session was shown `part` of `path` with `stamp` (the
/// stamp Read just recorded in the tracker).
pub(crate) fn remember(ctx: &ToolContext, path: &Path, stamp: FileStamp, part: Part) {
    with_views(&ctx.file_state_handle(), |views| {
        views.insert(path.to_path_buf(), Shown { stamp, part });
    });
}

/// Whether the session already has `part` of `path` as `bytes` are now.
pub(crate) fn is_unchanged(ctx: &ToolContext, path: &Path, bytes: &[u8], part: &Part) -> bool {
    let Some(shown) = with_views(&ctx.file_state_handle(), |views| views.get(path).cloned()) else {
        return false;
    };
    let now = FileStamp::of_content(bytes);
    shown.part == *part
        && ctx.file_state().get(path) == Some(shown.stamp)
        && shown.stamp.size == now.size
        && shown.stamp.hash == now.hash
}

/// The note the model gets instead of the content.
pub(crate) fn message() -> &'static str {
    "File unchanged since last read. The content from the earlier Read result in this \
     conversation is still current; refer to that instead of reading it again."
}

/// Forgets what Read has shown in the session of `file_state`, so every
/// next Read returns the content again. Call it when earlier tool results
/// leave the conversation (compaction, a rewind). The Read-before-write
/// stamps in `file_state` are kept.
pub fn forget_reads(file_state: &Arc<FileState>) {
    with_views(file_state, Views::clear);
}
