//! Assembles an agent from settings, flags and the workspace, for every host.
