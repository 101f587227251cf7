//! What a rewind restores, computed from the index alone (no I/O).
//!
//! Every record from the target message on is an observation of one or more
//! paths at one moment: a file record observes its path; a workspace record
//! observes every path its root has tracked (listed in one of its manifests
//! or present now), a path it does not list being absent. For each path the
//! earliest observation is its state when the message started (the rewind
//! target) and the latest is the agent's last known state.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use crate::hash::{ContentHash, FileState};
use crate::index::Record;
use crate::workspace::{Manifest, Stat};

/// One observation of a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    /// What the path held.
    pub state: FileState,
    /// Its metadata then, when a workspace record saw it.
    pub stat: Option<Stat>,
}

/// The first and last observation of a tracked path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tracked {
    /// The state when the target message started.
    pub target: Observation,
    /// The agent's last known state.
    pub last: Observation,
}

/// What to do with one tracked path, given its current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// It already holds the target state.
    Unchanged,
    /// Restore the target state.
    Restore,
    /// It matches neither the target nor the agent's last known state.
    ChangedOutside,
}

impl Tracked {
    /// Decides for the path's `current` state.
    #[must_use]
    pub fn decide(&self, current: FileState) -> Decision {
        if current == self.target.state {
            Decision::Unchanged
        } else if current == self.last.state {
            Decision::Restore
        } else {
            Decision::ChangedOutside
        }
    }
}

/// Joins a root and a manifest key into an absolute path string.
#[must_use]
pub fn join(root: &str, relative: &str) -> String {
    Path::new(root)
        .join(relative)
        .to_string_lossy()
        .into_owned()
}

/// Collects the tracked paths of `records` (the records from the target
/// message on). `manifests` holds every manifest those records name;
/// `present` lists, per workspace root, the files under it now.
/// A workspace record whose manifest is missing from `manifests` is skipped
/// (the caller loads them all first and reports the ones it cannot read).
#[must_use]
pub fn tracked(
    records: &[Record],
    manifests: &HashMap<ContentHash, Manifest>,
    present: &HashMap<String, BTreeSet<String>>,
) -> BTreeMap<String, Tracked> {
    let mut universe: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for record in records {
        if let Record::Workspace { root, manifest, .. } = record {
            let paths = universe.entry(root.as_str()).or_default();
            if let Some(manifest) = manifests.get(manifest) {
                paths.extend(manifest.files.keys().map(String::as_str));
            }
            if let Some(now) = present.get(root) {
                paths.extend(now.iter().map(String::as_str));
            }
        }
    }
    let mut tracked: BTreeMap<String, Tracked> = BTreeMap::new();
    let mut observe = |path: String, observation: Observation| {
        tracked
            .entry(path)
            .and_modify(|entry| entry.last = observation)
            .or_insert(Tracked {
                target: observation,
                last: observation,
            });
    };
    for record in records {
        match record {
            Record::Message { .. } => {}
            Record::File { path, blob, .. } => observe(
                path.clone(),
                Observation {
                    state: FileState::from_hash(*blob),
                    stat: None,
                },
            ),
            Record::Workspace { root, manifest, .. } => {
                let Some(manifest) = manifests.get(manifest) else {
                    continue;
                };
                for relative in universe.get(root.as_str()).into_iter().flatten() {
                    let observation = match manifest.files.get(*relative) {
                        Some(entry) => Observation {
                            state: FileState::Present(entry.hash),
                            // A racy entry's metadata does not prove its content.
                            stat: (!entry.racy).then_some(entry.stat),
                        },
                        None => Observation {
                            state: FileState::Absent,
                            stat: None,
                        },
                    };
                    observe(join(root, relative), observation);
                }
            }
        }
    }
    tracked
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet, HashMap};

    use pretty_assertions::assert_eq;

    use super::{Decision, tracked};
    use crate::hash::{ContentHash, FileState};
    use crate::index::{Phase, Record};
    use crate::workspace::{Entry, Manifest, Stat};

    fn file(path: &str, blob: Option<ContentHash>) -> Record {
        Record::File {
            message: "m".to_owned(),
            path: path.to_owned(),
            phase: Phase::Before,
            blob,
        }
    }

    #[test]
    fn earliest_observation_is_the_target_and_latest_the_last_known() {
        let a = ContentHash::of(b"a");
        let b = ContentHash::of(b"b");
        let records = vec![
            file("/w/x", Some(a)),
            file("/w/x", Some(b)),
            file("/w/new", None),
        ];
        let result = tracked(&records, &HashMap::new(), &HashMap::new());
        let x = result.get("/w/x").copied();
        assert_eq!(
            x.map(|t| (t.target.state, t.last.state)),
            Some((FileState::Present(a), FileState::Present(b)))
        );
        let new = result.get("/w/new").copied();
        assert_eq!(
            new.map(|t| [t.decide(FileState::Absent), t.decide(FileState::Present(b))]),
            Some([Decision::Unchanged, Decision::ChangedOutside])
        );
        let x = x.map(|t| {
            [
                t.decide(FileState::Present(a)),
                t.decide(FileState::Present(b)),
                t.decide(FileState::Absent),
            ]
        });
        assert_eq!(
            x,
            Some([
                Decision::Unchanged,
                Decision::Restore,
                Decision::ChangedOutside
            ])
        );
    }

    #[test]
    fn workspace_record_sees_unlisted_tracked_paths_as_absent() {
        let a = ContentHash::of(b"a");
        let stat = Stat {
            size: 1,
            mtime_ns: 0,
            ctime_ns: 0,
            ino: 1,
        };
        let before = Manifest {
            files: BTreeMap::from([(
                "gone".to_owned(),
                Entry {
                    hash: a,
                    stat,
                    racy: false,
                },
            )]),
        };
        let after = Manifest::default();
        let before_hash = ContentHash::of(b"before");
        let after_hash = ContentHash::of(b"after");
        let manifests = HashMap::from([(before_hash, before), (after_hash, after)]);
        let workspace = |manifest| Record::Workspace {
            message: "m".to_owned(),
            root: "/w".to_owned(),
            manifest,
        };
        let present = HashMap::from([("/w".to_owned(), BTreeSet::from(["made".to_owned()]))]);
        let result = tracked(
            &[workspace(before_hash), workspace(after_hash)],
            &manifests,
            &present,
        );
        let states: Vec<(String, FileState, FileState)> = result
            .into_iter()
            .map(|(path, t)| (path, t.target.state, t.last.state))
            .collect();
        assert_eq!(
            states,
            vec![
                (
                    "/w/gone".to_owned(),
                    FileState::Present(a),
                    FileState::Absent
                ),
                ("/w/made".to_owned(), FileState::Absent, FileState::Absent),
            ]
        );
    }
}
